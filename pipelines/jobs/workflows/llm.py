"""Model calls of ``llm`` steps: the offline ``local`` provider or any OpenAI-compatible endpoint.

Provider, base URL, model and key come from the step, else the environment, read at call
time: ``JOBLENS_LLM_PROVIDER`` (default ``local``), ``JOBLENS_LLM_BASE_URL`` (default
``https://api.openai.com/v1``), ``JOBLENS_LLM_MODEL``, ``JOBLENS_LLM_EMBEDDING_MODEL``, and
the key from the variable named by ``api_key_env`` (default ``JOBLENS_LLM_API_KEY``, then
``OPENAI_API_KEY``). Usage is taken from the response's ``usage`` field as the endpoint
reports it; the local provider counts with ``tokens.count_tokens``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from pipelines.jobs.workflows import local_model
from pipelines.jobs.workflows.tokens import count_tokens


@dataclass
class LlmRequest:
    operation: str  # chat | embedding
    provider: str
    model: str
    task: str = "reply"
    system: str = ""
    prompt: str = ""
    input: Any = None
    labels: list[str] = field(default_factory=list)
    keywords: dict = field(default_factory=dict)
    sentences: int = 3
    max_tokens: int = 512
    temperature: float = 0.0
    base_url: str = ""
    api_key: str | None = None
    timeout_s: float = 60.0


@dataclass
class LlmResult:
    output: dict
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    latency_ms: float = 0.0


def build_request(settings: dict, rendered: dict) -> LlmRequest:
    """The request of one step from its settings (templates already rendered)."""
    operation = settings.get("operation", "chat")
    provider = settings.get("provider") or os.environ.get("JOBLENS_LLM_PROVIDER") or "local"
    env_model = os.environ.get("JOBLENS_LLM_EMBEDDING_MODEL" if operation == "embedding" else "JOBLENS_LLM_MODEL")
    local_default = local_model.EMBEDDING_MODEL if operation == "embedding" else local_model.CHAT_MODEL
    key_env = settings.get("api_key_env")
    api_key = os.environ.get(key_env) if key_env else os.environ.get("JOBLENS_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
    return LlmRequest(
        operation=operation,
        provider=provider,
        model=settings.get("model") or (local_default if provider == "local" else env_model or "gpt-4o-mini"),
        task=settings.get("task", "reply"),
        system=rendered.get("system", ""),
        prompt=rendered.get("prompt", ""),
        input=rendered.get("input"),
        labels=list(settings.get("labels", [])),
        keywords=dict(settings.get("keywords", {})),
        sentences=settings.get("sentences", 3),
        max_tokens=settings.get("max_tokens", 512),
        temperature=float(settings.get("temperature", 0.0)),
        base_url=(settings.get("base_url") or os.environ.get("JOBLENS_LLM_BASE_URL") or "https://api.openai.com/v1").rstrip("/"),
        api_key=api_key,
        timeout_s=float(settings.get("timeout_s", 60.0)),
    )


def call(request: LlmRequest) -> LlmResult:
    started = time.perf_counter()
    result = _local(request) if request.provider == "local" else _openai(request)
    result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
    return result


class ModelReplyError(ValueError):
    """A reply that should be JSON is not: the taxonomy's data_validation, never retried."""


def reply_data(output: dict, provider: str) -> Any:
    """``response: json``: the reply parsed (a fenced code block allowed); local replies are data already."""
    if provider == "local":
        return {k: v for k, v in output.items() if k != "text"} or {"text": output.get("text", "")}
    text = (output.get("text") or "").strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ModelReplyError(f"invalid data: the model reply is not valid JSON ({exc}): {text[:200]!r}") from None


def subject_text(request: LlmRequest) -> str:
    """The text a step works on: its ``input`` when given, else the prompt."""
    value = request.input if request.input is not None else request.prompt
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _local(request: LlmRequest) -> LlmResult:
    if request.operation == "embedding":
        texts = _embedding_texts(request)
        vectors = [local_model.embed(t) for t in texts]
        return LlmResult({"vectors": vectors, "dimensions": local_model.EMBEDDING_DIMENSIONS}, sum(map(count_tokens, texts)), 0)
    text = subject_text(request)
    if request.task == "classify":
        output = local_model.classify(text, request.labels, request.keywords)
        reply = output["label"]
    else:
        count = request.sentences if request.task == "summarize" else 2
        reply = local_model.summarize(text, count)
        output = {}
    prompt_tokens = count_tokens(request.system) + count_tokens(request.prompt)
    if request.input is not None:
        prompt_tokens += count_tokens(text)
    return LlmResult({"text": reply, **output}, prompt_tokens, count_tokens(reply))


def _embedding_texts(request: LlmRequest) -> list[str]:
    value = request.input if request.input is not None else request.prompt
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _openai(request: LlmRequest) -> LlmResult:
    import httpx

    headers = {"Authorization": f"Bearer {request.api_key}"} if request.api_key else {}
    if request.operation == "embedding":
        url, body = f"{request.base_url}/embeddings", {"model": request.model, "input": _embedding_texts(request)}
    else:
        url, body = f"{request.base_url}/chat/completions", _chat_body(request)
    response = httpx.post(url, json=body, headers=headers, timeout=request.timeout_s)
    response.raise_for_status()
    payload = response.json()
    usage = payload.get("usage") or {}
    prompt_tokens = int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    if request.operation == "embedding":
        vectors = [item["embedding"] for item in sorted(payload["data"], key=lambda d: d.get("index", 0))]
        return LlmResult({"vectors": vectors, "dimensions": len(vectors[0]) if vectors else 0}, prompt_tokens, 0, cached)
    reply = payload["choices"][0]["message"].get("content") or ""
    output: dict = {"text": reply}
    if request.task == "classify":
        output["label"] = _label_in(reply, request.labels)
    completion = int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
    return LlmResult(output, prompt_tokens, completion, cached)


def _chat_body(request: LlmRequest) -> dict:
    user = request.prompt
    if request.input is not None:
        user = f"{user}\n\n{subject_text(request)}" if user else subject_text(request)
    if request.task == "classify":
        user = f"{user}\n\nAnswer with exactly one of: {', '.join(request.labels)}."
    messages = ([{"role": "system", "content": request.system}] if request.system else []) + [{"role": "user", "content": user}]
    return {"model": request.model, "messages": messages, "max_tokens": request.max_tokens, "temperature": request.temperature}


def _label_in(reply: str, labels: list[str]) -> str:
    """The first label the model named; the last (catch-all) label when it named none."""
    lowered = reply.lower()
    found = [(lowered.find(label.lower()), label) for label in labels if label.lower() in lowered]
    return min(found)[1] if found else labels[-1]
