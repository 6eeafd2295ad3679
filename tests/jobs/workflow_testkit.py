"""Shared pieces of the workflow tests: workflow files on tmp_path, local HTTP servers, runs, the lake.

Loaded by the test modules through ``load_testkit()`` (pytest runs with importlib mode,
so test folders are not packages).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import dagster as dg
import yaml

from pipelines.jobs.workflows.factory import build_job, run_config
from pipelines.jobs.workflows.spec import load_spec
from pipelines.lake.reader import connect
from pipelines.telemetry.resource import TelemetryResource


def write_workflow(folder: Path, name: str, steps: list[dict], **top) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = {"name": name, "team": "qa", "priority": 2, "inputs": {"type": "object"}, "steps": steps, **top}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def run_spec(path: Path, payload: dict, lake: Path, instance=None, raise_on_error: bool = False):
    """Run the workflow file in process with a real telemetry resource writing to ``lake``."""
    spec = load_spec(path)
    result = build_job(spec).execute_in_process(
        run_config=run_config(spec, payload),
        instance=instance or dg.DagsterInstance.ephemeral(),
        resources={"telemetry": TelemetryResource(lake_dir=str(lake))},
        raise_on_error=raise_on_error,
    )
    return spec, result


def final_scope(spec, result) -> dict:
    return result.output_for_node(f"{spec.name}__{spec.steps[-1].name}")


def lake_rows(lake: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(lake)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


Responder = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict | str, dict]]


@contextmanager
def http_server(respond: Responder):
    """A real HTTP server on 127.0.0.1 (free port); ``respond(handler, body)`` → (status, body, headers)."""
    requests: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
            status, reply, headers = respond(self, body)
            data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def step_events(result, event_type: str, step_key: str | None = None) -> list:
    return [
        e for e in result.all_events
        if e.event_type_value == event_type and (step_key is None or e.step_key == step_key)
    ]
