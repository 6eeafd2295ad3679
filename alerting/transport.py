"""Apprise behind one small class: channels from Apprise's own YAML config, routed by tag.

A ``False`` result from ``Apprise.notify`` is a failed delivery, reported with Apprise's own log
lines. The ``joblensfile://`` scheme is a JobLens plugin that appends JSON lines to a file under
``JOBLENS_HOME`` (``joblensfile://alerts/notifications.jsonl``), so the default channel needs
no network.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import apprise
from apprise.decorators import notify as apprise_plugin

from alerting.errors import AlertingError

SHIPPED_CHANNELS = Path(__file__).with_name("channels.yaml")
SEND_TIMEOUT_S = 30


@dataclass(frozen=True)
class Delivery:
    ok: bool
    error: str = ""


def channels_path() -> Path:
    """``$JOBLENS_CHANNELS`` when set, else the shipped ``alerting/channels.yaml``."""
    raw = os.environ.get("JOBLENS_CHANNELS")
    return Path(raw).expanduser() if raw else SHIPPED_CHANNELS


def file_channel_path(meta: dict) -> Path:
    """Where a ``joblensfile://`` URL writes: relative paths live under ``JOBLENS_HOME``."""
    relative = ((meta.get("host") or "") + (meta.get("fullpath") or "")).lstrip("/")
    if not relative:
        relative = "alerts/notifications.jsonl"
    if (meta.get("url") or "").startswith("joblensfile:///"):
        return Path("/" + relative)
    return Path(os.environ.get("JOBLENS_HOME") or "data/home").expanduser() / relative


@apprise_plugin(on="joblensfile", name="JobLens JSON-lines file")
def _write_json_line(body, title, notify_type, meta, *args, **kwargs):
    path = file_channel_path(meta)
    record = {
        "ts": datetime.now(timezone.utc).isoformat(),
        "title": title,
        "body": body,
        "type": str(notify_type),
        "tags": sorted(str(t) for t in (meta.get("tag") or ())),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        logging.getLogger("apprise").error("cannot write %s: %s", path, exc.strerror)
        return False
    return True


class Channels:
    """The notification channels of one Apprise config file, addressed by tag."""

    def __init__(self, config: Path | None = None):
        self.path = Path(config) if config else channels_path()
        if not self.path.is_file():
            raise AlertingError(f"{self.path}: channel config not found (set JOBLENS_CHANNELS to an Apprise YAML file)")
        asset = apprise.AppriseAsset(app_id="JobLens", app_desc="JobLens alerts")
        source = apprise.AppriseConfig(asset=asset)
        if not source.add(str(self.path)):
            raise AlertingError(f"{self.path}: not a usable Apprise config")
        self._apprise = apprise.Apprise(asset=asset)
        self._apprise.add(source)
        if len(self._apprise) == 0:
            raise AlertingError(f"{self.path}: no channel could be loaded (check its YAML and URLs)")

    def tags(self) -> set[str]:
        """Every routing tag the config defines."""
        found: set[str] = set()
        for service in self._apprise:
            found |= {str(tag) for tag in service.tags}
        return found

    def send(self, route: str, title: str, body: str, notify_type: str = "info", attach: list[str] | None = None) -> Delivery:
        """Send to every channel tagged ``route`` (with files attached where the channel takes them); any ``False`` from Apprise is a failure."""
        result = self._apprise.notify(
            body=body, title=title, notify_type=notify_type, tag=route, attach=attach, timeout=SEND_TIMEOUT_S
        )
        with result:
            if result:
                return Delivery(True)
            if len(result) == 0:
                return Delivery(False, f"no channel is tagged '{route}' in {self.path}")
            errors = [entry.message for entry in result.logs() if entry.level in ("ERROR", "WARNING")]
            return Delivery(False, errors[-1] if errors else f"Apprise reported {result.status.name}")
