"""Same root cause → same signature, across runs whose messages differ in the details."""

from __future__ import annotations

from pipelines.telemetry.signature import normalize_message, signature, user_frames


def trace(*frames: tuple[str, int, str], last: str) -> str:
    lines = ["Traceback (most recent call last):"]
    for path, line, func in frames:
        lines += [f'  File "{path}", line {line}, in {func}', "    code()"]
    return "\n".join(lines + [last]) + "\n"


DAGSTER = ("/srv/app/.venv/lib/python3.12/site-packages/dagster/_core/execution/plan/utils.py", 56, "op_execution_error_boundary")
HTTPX = ("/srv/app/.venv/lib/python3.12/site-packages/httpx/_transports/default.py", 118, "map_httpcore_exceptions")
STDLIB = ("/usr/lib/python3.12/contextlib.py", 158, "__exit__")


def test_two_timeouts_with_different_urls_and_durations_match():
    first = "Read timed out after 30.0s calling https://api.openai.com/v1/chat/completions?request=8812"
    second = "Read timed out after 45.5s calling https://eu.api.openai.com/v1/embeddings?request=9"
    t1 = trace(DAGSTER, ("/srv/app/pipelines/jobs/summarize.py", 41, "summarize_op"),
               ("/srv/app/pipelines/jobs/llm.py", 88, "complete"), HTTPX, STDLIB, last=f"httpx.ReadTimeout: {first}")
    t2 = trace(DAGSTER, ("/home/ci/work/pipelines/jobs/summarize.py", 44, "summarize_op"),
               ("/home/ci/work/pipelines/jobs/llm.py", 90, "complete"), HTTPX, last=f"httpx.ReadTimeout: {second}")
    assert signature("httpx.ReadTimeout", first, t1) == signature("httpx.ReadTimeout", second, t2)
    assert len(signature("httpx.ReadTimeout", first, t1)) == 16


def test_ids_paths_quotes_times_and_emails_are_normalized():
    first = ("Failed to load '/data/in/2024-05-01/batch_17.parquet' for run 3fa85f64-5717-4562-b3fc-2c963f66afa6 "
             "at 2024-05-01T10:00:03Z (object 0x7f3a2b10, owner ops@acme.io)")
    second = ("Failed to load '/data/in/2024-06-12/batch_4.parquet' for run 9c1b7a2e-0d44-4f0e-8a51-7e2f9b3c1d05 "
              "at 2024-06-12T23:59:59.120Z (object 0x55d0c3e8, owner data-team@acme.io)")
    assert normalize_message(first) == normalize_message(second)
    assert signature("OSError", first) == signature("OSError", second)
    assert normalize_message("GET https://x.io/a?b=1 took 1.5e3 ms") == "GET <url> took <n> ms"


def test_different_causes_differ():
    where = trace(("/srv/app/pipelines/jobs/summarize.py", 41, "summarize_op"), last="...")
    timeout = signature("httpx.ReadTimeout", "Read timed out after 30s", where)
    key_error = signature("KeyError", "'customer_id'", where)
    assert timeout != key_error
    # same message, same class, but raised from a different function of the user's code
    elsewhere = trace(("/srv/app/pipelines/jobs/embed.py", 12, "embed_op"), last="...")
    assert signature("httpx.ReadTimeout", "Read timed out after 30s", elsewhere) != timeout
    # a different kind of message in the same place
    assert signature("httpx.ReadTimeout", "Connect timed out", where) != timeout


def test_model_names_survive_normalization():
    assert "gpt-4o-mini" in normalize_message("rate limited on gpt-4o-mini after 3 retries")
    assert normalize_message("rate limited on gpt-4o-mini") != normalize_message("rate limited on claude-3-5-haiku")


def test_user_frames_skip_libraries_and_keep_the_innermost():
    text = trace(DAGSTER, ("/app/pipelines/jobs/a.py", 1, "outer"), ("/app/pipelines/jobs/b.py", 2, "middle"),
                 ("/app/lib/c.py", 3, "inner"), ("/app/lib/d.py", 4, "innermost"), HTTPX, STDLIB,
                 ("<frozen importlib._bootstrap>", 1, "_find_and_load"), last="X: y")
    assert user_frames(text) == ["jobs/b.py:middle", "lib/c.py:inner", "lib/d.py:innermost"]
    windows = 'File "C:\\Users\\me\\proj\\jobs\\run.py", line 3, in main\n'
    assert user_frames(windows) == ["jobs/run.py:main"]
    assert user_frames(None) == []
