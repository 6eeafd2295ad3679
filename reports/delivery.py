"""Sending rendered reports through the notification channels, as attachments where a channel can.

The hook the alerting area (or a schedule) calls is ``deliver(report_paths, tags)``. It uses the
same Apprise channel file as alerts (``$JOBLENS_CHANNELS``, else the shipped
``alerting/channels.yaml``); channels are picked by tag, e.g. ``reports`` or ``team-support``.
A channel that cannot carry attachments (chat webhooks) still gets the message, which names
the files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from reports.errors import ReportError


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    tags: tuple[str, ...]
    error: str = ""


def _channels_file(config: Path | None) -> Path:
    # Importing the alerting transport registers its joblensfile:// channel type with Apprise.
    from alerting import transport

    return Path(config) if config is not None else transport.channels_path()


def deliver(
    report_paths: Iterable[Path],
    tags: Iterable[str],
    title: str = "JobLens report",
    body: str = "",
    channels_config: Path | None = None,
) -> DeliveryResult:
    """Send ``report_paths`` to every channel tagged with one of ``tags``; False from Apprise is a failure."""
    import apprise

    paths = [Path(p) for p in report_paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise ReportError(f"cannot deliver {', '.join(missing)}: no such file")
    tags = tuple(tags)
    config = _channels_file(channels_config)
    source = apprise.AppriseConfig()
    if not config.is_file() or not source.add(str(config)):
        raise ReportError(f"{config}: channel config not found or not usable")
    sender = apprise.Apprise()
    sender.add(source)
    text = body or "\n".join(["Rendered reports:"] + [f"- {p}" for p in paths])
    attachments = apprise.AppriseAttachment([str(p) for p in paths])
    with apprise.LogCapture(level=logging.WARNING) as log:
        ok = sender.notify(title=title, body=text, tag=list(tags) or None, attach=attachments)
    if ok:
        return DeliveryResult(True, tags)
    lines = [line for line in log.getvalue().splitlines() if line.strip()]
    reason = lines[-1] if lines else f"no channel is tagged {', '.join(tags)} in {config}"
    return DeliveryResult(False, tags, reason)
