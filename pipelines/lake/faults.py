"""Named crash points, so tests can kill a real process between two phases of a write.

``JOBLENS_CRASH_AT=<name>`` makes the process kill itself with SIGKILL when it reaches
the checkpoint of that name: no ``finally`` block, no flush, exactly like a power cut.
Unset (always, outside crash tests), a checkpoint is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "JOBLENS_CRASH_AT"


def checkpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
