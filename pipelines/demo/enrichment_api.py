"""A company-data API on 127.0.0.1 for the ``lead_enrichment`` runs of the demo.

It behaves the way the runs need a real provider to behave, on demand:

- ``/companies?domain=…``: a company profile, at once;
- ``/flaky/<key>/companies``: ``503 Service Unavailable`` on the first request of each
  key, then the profile: the lookup step fails transiently and its retry succeeds;
- ``/slow/companies``: the profile only after a long wait (or when the server stops),
  so a run can be cancelled while its lookup step is in flight.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SLOW_RESPONSE_S = 8.0  # below the workflow's 10 s timeout: a missed cancel still ends the run
PROFILES = {
    "northwind.example": {"name": "Northwind Global Bank", "employees": 12000, "industry": "banking",
                          "description": "A multinational bank with offices in 40 countries."},
    "tailspin.example": {"name": "Tailspin Studio", "employees": 14, "industry": "design",
                         "description": "A small design agency."},
}


class EnrichmentApi:
    """The server, started on a free port; use as a context manager."""

    def __init__(self) -> None:
        self._seen_keys: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-enrichment-api", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, behaviour: str = "ok", key: str = "") -> str:
        """The ``enrichment_url`` a run gets: ok, flaky (per key) or slow."""
        paths = {"ok": "/companies", "flaky": f"/flaky/{key}/companies", "slow": "/slow/companies"}
        return self.base_url + paths[behaviour]

    def __enter__(self) -> "EnrichmentApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _first_request(self, key: str) -> bool:
        with self._lock:
            first = key not in self._seen_keys
            self._seen_keys.add(key)
            return first

    def _handler_class(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                if parts[0] == "flaky" and len(parts) == 3 and api._first_request(parts[1]):
                    return self._reply(503, {"error": "enrichment backend overloaded, try again"})
                if parts[0] == "slow":
                    api._stopping.wait(SLOW_RESPONSE_S)
                if parts[-1] != "companies":
                    return self._reply(404, {"error": f"no route {url.path}"})
                domain = (parse_qs(url.query).get("domain") or [""])[0]
                profile = PROFILES.get(domain, {"name": domain, "employees": 50, "industry": "unknown"})
                return self._reply(200, profile)

            def _reply(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the run was cancelled mid-request
                    pass

            def log_message(self, *args) -> None:  # the runs' own logs record every request
                pass

        return Handler
