"""``joblens jobs show`` on a real captured run: within 80 columns, complete at 140."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from pipelines.cli.app import main
from pipelines.home import resolve_home
from pipelines.instance import open_instance
from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS
from pipelines.jobs.workflows.spec import load_spec
from pipelines.telemetry.capture import capture
from tests.jobs import workflow_testkit as kit

STEP_COLUMNS = ["step_key", "attempt", "status", "started_at", "ended_at", "duration_s", "wait_before_s", "cpu_s",
                "peak_rss_mb", "input_tokens", "output_tokens", "cost_usd", "error_code"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The shipped document_summarization workflow run on a persisted instance and captured into the lake."""
    home = resolve_home(tmp_path_factory.mktemp("run_view") / "home").ensure()
    instance = open_instance(home)
    try:
        path = SHIPPED_WORKFLOWS / "document_summarization.yaml"
        _, result = kit.run_spec(path, dict(load_spec(path).example), home.lake, instance=instance)
        capture(instance, home)
    finally:
        instance.dispose()
    assert result.success
    return home, result.run_id


def show(capsys, monkeypatch, home, run_id: str, *args: str, columns: int = 140) -> str:
    monkeypatch.setenv("JOBLENS_HOME", str(home.root))
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["jobs", "show", run_id, *args])
    captured = capsys.readouterr()
    assert exit_.value.code == 0, captured.err
    return captured.out


def steps_table(out: str) -> tuple[list[str], list[str], list[str]]:
    """The steps table's header lines, body lines, and whatever follows it up to the next section."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Steps (one row per attempt)"))
    rule = next(i for i in range(start, len(lines)) if set(lines[i].strip()) == {"─"})
    end = next(i for i in range(rule + 1, len(lines)) if lines[i].startswith(("narrow terminal:", "Errors")))
    after = next(i for i in range(end, len(lines)) if lines[i].startswith("Errors"))
    return lines[start + 1:rule], lines[rule + 1:end], lines[end:after]


def column_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Each column's character span: the runs of positions where some line is not blank."""
    used = {i for line in lines for i, ch in enumerate(line) if ch != " "}
    spans, start = [], None
    for i in range(max(used) + 2):
        if i in used and start is None:
            start = i
        elif i not in used and start is not None:
            spans.append((start, i))
            start = None
    return spans


def read_table(header: list[str], body: list[str]) -> tuple[list[str], list[str]]:
    """The column names (header parts joined) and the step key of each row (its wrapped parts joined)."""
    spans = column_spans(header + body)
    names = ["".join(line[a:b].strip() for line in header) for a, b in spans]
    keys: list[str] = []
    (key_a, key_b), (attempt_a, attempt_b) = spans[0], spans[1]
    for line in body:
        if line[attempt_a:attempt_b].strip():  # a row's first line carries its attempt number
            keys.append("")
        keys[-1] += line[key_a:key_b].strip()
    return names, keys


@pytest.mark.parametrize("columns", [80, 140])
def test_jobs_show_fits_the_width_and_keeps_every_step_key_whole(recorded, capsys, monkeypatch, columns):
    home, run_id = recorded
    doc = json.loads(show(capsys, monkeypatch, home, run_id, "-F", "json"))
    out = show(capsys, monkeypatch, home, run_id, columns=columns)
    assert max(len(line) for line in out.splitlines()) <= columns
    header, body, after = steps_table(out)
    names, keys = read_table(header, body)
    assert keys == [step["step_key"] for step in doc["steps"]]
    assert "document_summarization__summarize" in keys
    if columns == 140:
        assert names == STEP_COLUMNS
        assert after == [] and "narrow terminal" not in out
    else:
        note = " ".join(" ".join(after).split())
        omitted = note.removeprefix("narrow terminal: ").split(" not shown;")[0].split(", ")
        assert note.startswith("narrow terminal: ") and note.endswith(" columns or use --format json")
        assert omitted and sorted(names + omitted) == sorted(STEP_COLUMNS) and not set(names) & set(omitted)
        assert {"step_key", "attempt", "status", "duration_s", "error_code"} <= set(names)
        assert int(note.split("widen to ")[1].split()[0]) <= 145
        # a step key keeps a readable width: no key of up to 32 letters takes more than two lines
        attempt_a, attempt_b = column_spans(header + body)[1]
        first_lines = [i for i, line in enumerate(body) if line[attempt_a:attempt_b].strip()] + [len(body)]
        assert max(b - a for a, b in pairwise(first_lines)) <= 2, "\n".join(header + body)
