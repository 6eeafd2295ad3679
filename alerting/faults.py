"""Named crash points in the delivery path, so a test can kill a real process between two steps.

``JOBLENS_ALERTS_CRASH_AT=<name>`` makes the process SIGKILL itself at that checkpoint: no
``finally``, no commit, like a power cut. Unset, a checkpoint is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "JOBLENS_ALERTS_CRASH_AT"


def checkpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
