"""The webhook trigger: ``POST /workflows/<name>`` with a JSON payload launches a workflow run.

The payload is checked against the workflow's input schema before anything is created:
a bad payload gets ``400`` with the reason and no run. A good one becomes a run on the
instance (tags ``joblens/trigger=webhook``), its payload recorded at once as the run's
input snapshot, and the answer is ``202`` with the run id. ``GET /workflows`` lists the
workflows, ``GET /health`` answers ``ok``. When ``JOBLENS_WEBHOOK_TOKEN`` is set, requests
must carry ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.factory import inputs_op_name
from pipelines.jobs.workflows.launch import WorkflowLauncher
from pipelines.jobs.workflows.spec import WorkflowSpec, payload_error

log = logging.getLogger("joblens.webhook")
MAX_BODY_BYTES = 1_000_000
TOKEN_ENV = "JOBLENS_WEBHOOK_TOKEN"
SNAPSHOT_STEP = "webhook"


class WebhookApp:
    """What the server does with a request, apart from HTTP plumbing (and testable without it)."""

    def __init__(self, specs: dict[str, WorkflowSpec], launcher: WorkflowLauncher, telemetry=None, token: str | None = None):
        self.specs = specs
        self.launcher = launcher
        self.telemetry = telemetry
        self.token = token
        self._lock = threading.Lock()  # one launch at a time: SQLite storage has one writer

    def authorized(self, header: str | None) -> bool:
        if not self.token:
            return True
        return hmac.compare_digest(header or "", f"Bearer {self.token}")

    def handle_post(self, path: str, body: bytes) -> tuple[int, dict]:
        name = path.removeprefix("/workflows/").strip("/")
        if not path.startswith("/workflows/") or "/" in name:
            return HTTPStatus.NOT_FOUND, {"error": f"no such endpoint {path}; POST /workflows/<name>"}
        spec = self.specs.get(name)
        if spec is None:
            return HTTPStatus.NOT_FOUND, {"error": f"unknown workflow {name!r}", "workflows": sorted(self.specs)}
        try:
            payload = json.loads(body or b"null")
        except ValueError as exc:
            return HTTPStatus.BAD_REQUEST, {"error": f"body is not valid JSON: {exc}"}
        reason = payload_error(spec.inputs, payload)
        if reason:
            return HTTPStatus.BAD_REQUEST, {"error": reason, "workflow": name}
        tags = {"joblens/trigger": "webhook", "joblens/trigger_source": path}
        try:
            with self._lock:
                run = self.launcher.launch(spec, payload, tags)
        except JoblensError as exc:
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(exc)}
        self._record_payload(run.run_id, spec, payload)
        return HTTPStatus.ACCEPTED, {"run_id": run.run_id, "workflow": name, "job": spec.job_name, "status": run.status.value}

    def _record_payload(self, run_id: str, spec: WorkflowSpec, payload: dict) -> None:
        if self.telemetry is None:
            return
        recorder = self.telemetry.recorder(run_id, spec.job_name, SNAPSHOT_STEP)
        recorder.snapshot("input", "webhook_payload", payload)
        recorder.info("webhook accepted", workflow=spec.name, first_step=inputs_op_name(spec))
        recorder.close()


class _Handler(BaseHTTPRequestHandler):
    app: WebhookApp  # set on the subclass built by make_server
    server_version = "JobLensWebhook/1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.rstrip("/") == "/health":
            self._reply(HTTPStatus.OK, {"status": "ok"})
        elif self.path.rstrip("/") == "/workflows":
            self._reply(HTTPStatus.OK, {"workflows": sorted(self.app.specs)})
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint {self.path}"})

    def do_POST(self) -> None:  # noqa: N802
        if not self.app.authorized(self.headers.get("Authorization")):
            self._reply(HTTPStatus.UNAUTHORIZED, {"error": f"missing or wrong bearer token ({TOKEN_ENV})"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": f"payload over {MAX_BODY_BYTES} bytes"})
            return
        status, body = self.app.handle_post(self.path.split("?", 1)[0], self.rfile.read(length))
        self._reply(status, body)

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        log.info("%s %s", self.address_string(), format % args)


def make_server(app: WebhookApp, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("WebhookHandler", (_Handler,), {"app": app})
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise JoblensError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def token_from_env() -> str | None:
    return os.environ.get(TOKEN_ENV) or None
