"""llm steps against a real OpenAI-compatible server on 127.0.0.1: requests, usage, failures."""

from __future__ import annotations

import json
from tests.jobs import workflow_testkit as kit




def openai_protocol(failures: dict | None = None):
    """A minimal server of the OpenAI protocol: chat completions and embeddings, with usage."""
    failures = dict(failures or {})

    def respond(handler, body):
        request = json.loads(body)
        if failures.get(handler.path):
            failures[handler.path] -= 1
            return 429, {"error": {"message": "Rate limit reached for requests", "type": "requests"}}, {}
        if handler.headers.get("Authorization") != "Bearer sk-test":
            return 401, {"error": {"message": "Incorrect API key provided"}}, {}
        if handler.path == "/v1/chat/completions":
            user = request["messages"][-1]["content"]
            reply = "bug" if "crash" in user else "Short answer."
            if "as JSON" in user:
                reply = '```json\n{"queue": "bug", "urgent": true}\n```' if "crash" in user else "Sure! Here it is."
            return 200, {
                "id": "chatcmpl-1", "object": "chat.completion", "model": request["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 42, "completion_tokens": 3, "total_tokens": 45,
                          "prompt_tokens_details": {"cached_tokens": 16}},
            }, {}
        if handler.path == "/v1/embeddings":
            texts = request["input"]
            data = [{"object": "embedding", "index": i, "embedding": [0.1 * (i + 1), 0.2, 0.3]} for i in range(len(texts))]
            return 200, {"object": "list", "data": data, "model": request["model"],
                         "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)}}, {}
        return 404, {"error": {"message": "unknown endpoint"}}, {}

    return respond


def _workflow(tmp_path, base: str, retry="none"):
    return kit.write_workflow(tmp_path / "wf", "remote", [
        {"name": "label", "kind": "llm", "provider": "openai", "base_url": base + "/v1", "model": "gpt-4o-mini",
         "task": "classify", "system": "You route tickets.", "prompt": "Queue for: {{ input.text }}",
         "labels": ["billing", "bug", "other"], "api_key_env": "TEST_LLM_KEY", "max_tokens": 5},
        {"name": "vec", "kind": "llm", "provider": "openai", "base_url": base + "/v1", "model": "text-embedding-3-small",
         "operation": "embedding", "input": "{{ [input.text, steps.label.label] }}", "api_key_env": "TEST_LLM_KEY"},
    ], retry=retry)


def test_chat_and_embeddings_record_the_usage_the_server_reports(tmp_path, joblens_home, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    with kit.http_server(openai_protocol()) as (base, requests):
        spec, result = kit.run_spec(_workflow(tmp_path, base), {"text": "the app crashes on save"}, joblens_home.lake)
    assert result.success
    chat = json.loads(requests[0]["body"])
    assert requests[0]["path"] == "/v1/chat/completions"
    assert chat["model"] == "gpt-4o-mini" and chat["max_tokens"] == 5
    assert chat["messages"][0] == {"role": "system", "content": "You route tickets."}
    assert "Queue for: the app crashes on save" in chat["messages"][1]["content"]
    assert json.loads(requests[1]["body"])["input"] == ["the app crashes on save", "bug"]
    steps = kit.final_scope(spec, result)["steps"]
    assert steps["label"]["label"] == "bug"
    assert steps["vec"]["vectors"] == [[0.1, 0.2, 0.3], [0.2, 0.2, 0.3]]
    calls = kit.lake_rows(joblens_home.lake, "select provider, model, operation, input_tokens, cached_input_tokens, "
                                             "output_tokens, outcome from model_calls order by ts")
    assert calls == [
        ("openai", "gpt-4o-mini", "chat", 42, 16, 3, "ok"),
        ("openai", "text-embedding-3-small", "embeddings", 14, 0, 0, "ok"),
    ]


def test_rate_limit_is_recorded_and_retried(tmp_path, joblens_home, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    retry = {"max_retries": 2, "base_delay_s": 0.05, "jitter": 0}
    with kit.http_server(openai_protocol({"/v1/chat/completions": 1})) as (base, requests):
        spec, result = kit.run_spec(_workflow(tmp_path, base, retry), {"text": "refund please"}, joblens_home.lake)
    assert result.success
    outcomes = kit.lake_rows(joblens_home.lake, "select outcome, error_code from model_calls where operation = 'chat' order by ts")
    assert outcomes == [("rate_limited", "rate_limit"), ("ok", None)]
    assert len(kit.step_events(result, "STEP_UP_FOR_RETRY", "remote__label")) == 1


def test_a_wrong_key_fails_once_as_authentication(tmp_path, joblens_home, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-wrong")
    with kit.http_server(openai_protocol()) as (base, requests):
        spec, result = kit.run_spec(_workflow(tmp_path, base, {"max_retries": 3, "base_delay_s": 0.05}),
                                    {"text": "x"}, joblens_home.lake)
    assert not result.success and len(requests) == 1
    assert kit.lake_rows(joblens_home.lake, "select outcome, error_code from model_calls") == [("error", "authentication")]
    assert "sk-wrong" not in json.dumps(kit.lake_rows(joblens_home.lake, "select message, stack_trace from errors"))


def test_json_reply_is_parsed_and_a_non_json_reply_fails_as_data_validation(tmp_path, joblens_home, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test")
    with kit.http_server(openai_protocol()) as (base, requests):
        path = kit.write_workflow(tmp_path / "wf", "structured", [
            {"name": "extract", "kind": "llm", "provider": "openai", "base_url": base + "/v1", "model": "gpt-4o-mini",
             "prompt": "Give queue and urgency as JSON: {{ input.text }}", "response": "json",
             "api_key_env": "TEST_LLM_KEY"},
        ], retry={"max_retries": 2, "base_delay_s": 0.05})
        spec, good = kit.run_spec(path, {"text": "it crashes"}, joblens_home.lake)
        spec, bad = kit.run_spec(path, {"text": "hello"}, joblens_home.lake)
    assert kit.final_scope(spec, good)["steps"]["extract"]["data"] == {"queue": "bug", "urgent": True}
    assert not bad.success and len(requests) == 2  # not retried
    failure = kit.step_events(bad, "STEP_FAILURE", "structured__extract")[0]
    assert failure.step_failure_data.user_failure_data.metadata["joblens/error_code"].value == "data_validation"
