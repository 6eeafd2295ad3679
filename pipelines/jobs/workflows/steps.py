"""What each step kind does at run time: ``run_step(step, scope, t)`` returns the step's output.

Every kind records through the step's telemetry ``t``: what it sent and received as
intermediate snapshots, model calls with their usage, and a log line per action.
Failures raise; the op turns them into a retry or a coded failure.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from pipelines.jobs.workflows import llm, templating
from pipelines.jobs.workflows.spec import StepSpec


class NotificationError(ConnectionError):
    """A notify step's channel refused or could not deliver the message."""


class TemplateDataError(ValueError):
    """A template or expression failed on this run's data (a missing field, a forbidden access)."""


def run_step(step: StepSpec, scope: dict, t) -> Any:
    from jinja2 import TemplateError

    try:
        return RUNNERS[step.kind](step, scope, t)
    except TemplateError as exc:
        raise TemplateDataError(f"invalid data for step {step.name}: {exc}") from exc


def _rendered(step: StepSpec, scope: dict, *names: str) -> dict:
    return {n: templating.resolve(step.kind, n, step.settings[n], scope) for n in names if n in step.settings}


def run_http(step: StepSpec, scope: dict, t) -> dict:
    import httpx

    values = _rendered(step, scope, "url", "headers", "params", "json", "body")
    # A header rendered empty (an unset optional secret) is left out rather than sent blank.
    headers = {k: str(v).strip() for k, v in (values.get("headers") or {}).items() if str(v).strip()}
    method = step.settings.get("method", "GET")
    timeout = float(step.settings.get("timeout_s", 30.0))
    t.info("http request", method=method, url=values["url"], timeout_s=timeout)
    started = time.perf_counter()
    response = httpx.request(
        method, values["url"], headers=headers, params=values.get("params"),
        json=values.get("json"), content=values.get("body"), timeout=timeout, follow_redirects=True,
    )
    elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
    t.info("http response", status=response.status_code, elapsed_ms=elapsed_ms, bytes=len(response.content))
    expected = step.settings.get("expect_status")
    if expected is None:
        response.raise_for_status()
    elif response.status_code not in expected:
        # The status text keeps the taxonomy's message rules working (429, 503, 401 …).
        raise httpx.HTTPStatusError(
            f"unexpected status {response.status_code} {response.reason_phrase} for {method} {values['url']} "
            f"(expected {expected})", request=response.request, response=response,
        )
    output = {"status": response.status_code, "url": str(response.url)}
    if "json" in response.headers.get("content-type", ""):
        output["json"] = response.json()
    else:
        output["text"] = response.text
    t.snapshot("intermediate", f"{step.name}.response", output.get("json", output.get("text")))
    return output


def run_transform(step: StepSpec, scope: dict, t) -> Any:
    if "expression" in step.settings:
        return templating.evaluate(step.settings["expression"], scope)
    return templating.resolve("transform", "output", step.settings["output"], scope)


def run_llm(step: StepSpec, scope: dict, t) -> dict:
    request = llm.build_request(step.settings, _rendered(step, scope, "system", "prompt", "input"))
    t.snapshot("intermediate", f"{step.name}.prompt", {"system": request.system, "prompt": request.prompt, "input": request.input})
    started = time.perf_counter()
    try:
        result = llm.call(request)
    except Exception as exc:
        _record_failed_call(t, request, exc, (time.perf_counter() - started) * 1000)
        raise
    t.model_call(
        request.provider, request.model, "embeddings" if request.operation == "embedding" else "chat",
        input_tokens=result.input_tokens, output_tokens=result.output_tokens,
        cached_input_tokens=result.cached_input_tokens, latency_ms=result.latency_ms,
    )
    t.info("model call", provider=request.provider, model=request.model, task=request.task,
           input_tokens=result.input_tokens, output_tokens=result.output_tokens)
    output = {**result.output, "model": request.model, "provider": request.provider}
    if step.settings.get("response") == "json":
        output["data"] = llm.reply_data(result.output, request.provider)
    return output


def _record_failed_call(t, request: llm.LlmRequest, exc: Exception, latency_ms: float) -> None:
    from pipelines.telemetry.taxonomy import classify_exception

    code = classify_exception(exc).code
    outcome = {"timeout": "timeout", "rate_limit": "rate_limited"}.get(code, "error")
    t.model_call(request.provider, request.model, "embeddings" if request.operation == "embedding" else "chat",
                 input_tokens=0, output_tokens=0, latency_ms=round(latency_ms, 3), outcome=outcome, error_code=code)


def run_validate(step: StepSpec, scope: dict, t) -> Any:
    import jsonschema

    value = templating.evaluate(step.settings["value"], scope) if "value" in step.settings else scope["previous"]
    validator = jsonschema.Draft202012Validator(step.settings["schema"])
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        t.snapshot("intermediate", f"{step.name}.rejected", value)
        raise error  # a jsonschema ValidationError: the taxonomy's data_validation
    t.info("validated", checked=step.settings.get("value", "previous"))
    return value


def run_branch(step: StepSpec, scope: dict, t) -> dict:
    taken = bool(templating.evaluate(step.settings["condition"], scope))
    later = scope["order"][scope["order"].index(step.name) + 1 :]
    skipped = [] if taken else list(step.settings.get("skip", later))
    t.info("branch", condition=step.settings["condition"], result=taken, skipped=skipped)
    return {"condition": taken, "skipped": skipped}


def run_notify(step: StepSpec, scope: dict, t) -> dict:
    from alerting.transport import Channels

    values = _rendered(step, scope, "title", "body")
    route = step.settings.get("route", "ops")
    severity = step.settings.get("severity", "info")
    message = {"route": route, "severity": severity, "title": values["title"], "body": values.get("body", "")}
    t.snapshot("intermediate", f"{step.name}.message", message)
    notify_type = {"info": "info", "warning": "warning", "critical": "failure"}[severity]
    delivery = Channels().send(route, message["title"], message["body"] or message["title"], notify_type)
    if not delivery.ok:
        raise NotificationError(f"notification to route '{route}' not delivered: {delivery.error}")
    t.info("notified", route=route, severity=severity)
    return {**message, "delivered": True}


RUNNERS: dict[str, Callable[[StepSpec, dict, Any], Any]] = {
    "http": run_http,
    "transform": run_transform,
    "llm": run_llm,
    "validate": run_validate,
    "branch": run_branch,
    "notify": run_notify,
}
