"""Named crash points, so tests can kill a real process between two phases of a write.

``JOBLENS_CRASH_AT=<name>`` makes the process kill itself with SIGKILL when it reaches
the checkpoint of that name: no ``finally`` block, no flush, exactly like a power cut.
``<name>#<n>`` crashes at the n-th time the process reaches it (a phase that repeats, such
as one publish among several). Unset (always, outside crash tests), a checkpoint is one
dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "JOBLENS_CRASH_AT"
_hits: dict[str, int] = {}


def checkpoint(name: str) -> None:
    target = os.environ.get(ENV)
    if target is None or not target.startswith(name):
        return
    if target == name:
        os.kill(os.getpid(), signal.SIGKILL)
    wanted, _, nth = target.partition("#")
    if wanted == name and nth.isdigit():
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == int(nth):
            os.kill(os.getpid(), signal.SIGKILL)
