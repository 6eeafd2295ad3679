"""The per-process spool: telemetry records survive a kill -9 without Parquet on the hot path.

Each record is one JSON line appended with a single ``write()`` to a file owned by the
process (``<home>/state/spool/<host>-<pid>-<id>.jsonl``): once the call returns the line
is in the kernel's page cache, so it outlives the process however it dies. Lines are
fsynced at safe points (by the sampler thread, after a recorded error) so they
also survive most machine crashes.

Landing turns a spool into landing Parquet through the lake writer: the live file is
swapped for a fresh one, the old one converted and then deleted. A file left by a dead
process is landed by ``recover_spools``. The owner holds an exclusive ``flock`` on its
file for as long as it lives; the kernel drops it when the process dies, which is how
recovery tells an abandoned spool from a live one. Rows carry ids made at record time,
so landing the same spool twice (a crash between landing and deleting) counts each
row once in every reader.

A spool holds two kinds of line after its header: a *context* line per open step
(run, job, step, attempt) and record lines that refer to it by number, so the common
columns are written once per step rather than once per record.
"""

from __future__ import annotations

import atexit
import fcntl
import itertools
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.home import Home, resolve_home
from pipelines.telemetry.spool_format import SPOOL_VERSION, SUFFIX, dumps_line, land_spool_file, read_spool

log = logging.getLogger("joblens.telemetry")


class SpoolFile:
    """One open, locked, append-only spool file."""

    def __init__(self, directory: Path, lake: Path):
        directory.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname().split(".")[0][:16] or "host"
        self.path = directory / f"{host}-{os.getpid()}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.records = 0
        self.dirty = False
        self.opened = time.monotonic()
        self.contexts: set[int] = set()  # step contexts whose line this file holds
        header = {"spool": SPOOL_VERSION, "lake": str(lake), "pid": os.getpid(), "host": host}
        self.write(dumps_line(header), record=False)

    def write(self, line: bytes, record: bool = True) -> None:
        os.write(self.fd, line)
        self.dirty = True
        if record:
            self.records += 1

    def close(self) -> None:
        os.close(self.fd)


class SpoolWriter:
    """This process's spool for one lake: thread-safe appends, landing by file swap."""

    def __init__(self, directory: Path, lake: Path):
        self.directory = Path(directory)
        self.lake = Path(lake)
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._file: SpoolFile | None = None
        self._contexts: dict[int, bytes] = {}
        self._ids = itertools.count(1)

    def open_context(self, run_id: str, job_name: str | None, step_key: str, attempt: int) -> int:
        """Register an open step; its records name it by the number returned.

        The context line goes to the file with the step's first record, in the same
        ``write()``: one system call fewer per step, and a step that records nothing
        leaves nothing behind.
        """
        number = next(self._ids)
        line = dumps_line({"ctx": number, "run_id": run_id, "job_name": job_name, "step_key": step_key, "attempt": attempt})
        with self._lock:
            self._contexts[number] = line
        return number

    def close_context(self, number: int) -> None:
        with self._lock:
            self._contexts.pop(number, None)

    def append(self, context: int, table: str, row: dict[str, Any]) -> None:
        row["c"] = context
        row["t"] = table
        line = dumps_line(row)
        with self._lock:
            current = self._current()
            if context not in current.contexts:
                current.contexts.add(context)
                line = self._contexts.get(context, b"") + line
            current.write(line)

    def sync(self) -> None:
        """fsync the live file without holding up appends (on a duplicate descriptor)."""
        with self._lock:
            current = self._file
            if current is None or not current.dirty:
                return
            current.dirty = False
            fd = os.dup(current.fd)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def due(self, interval_s: float, max_records: int) -> bool:
        current = self._file
        if current is None or current.records == 0:
            return False
        return current.records >= max_records or time.monotonic() - current.opened >= interval_s

    def land(self) -> int:
        """Turn everything recorded so far into landing Parquet; the rows landed."""
        with self._lock:
            old, self._file = self._file, None
        if old is None:
            return 0
        try:
            rows = land_spool_file(old.path) if old.records else 0
            old.path.unlink(missing_ok=True)
        finally:
            old.close()
        return rows

    def _current(self) -> SpoolFile:
        if self._file is None:  # steps still open write their context again with their next record
            self._file = SpoolFile(self.directory, self.lake)
        return self._file


@dataclass
class RecoveryReport:
    """What ``recover_spools`` did."""

    files: int = 0
    rows: int = 0
    live: int = 0
    unreadable: list[str] = field(default_factory=list)


def recover_spools(home=None, spool_dir: str | os.PathLike[str] | None = None) -> RecoveryReport:
    """Land the spools of processes that died before landing them, then delete them.

    ``home`` is a ``Home`` or a home folder (default: ``$JOBLENS_HOME``); its
    ``state/spool`` is scanned unless ``spool_dir`` is given. Spools of live processes
    (their lock is held) are left alone. Safe to run at any time, from any process, as
    often as wanted.
    """
    directory = Path(spool_dir) if spool_dir else default_spool_dir(home if isinstance(home, Home) else resolve_home(home))
    report = RecoveryReport()
    if not directory.is_dir():
        return report
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        _recover_one(path, report)
    return report


def _recover_one(path: Path, report: RecoveryReport) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return  # landed by its owner meanwhile
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            report.live += 1
            return
        if os.fstat(fd).st_size == 0:
            path.unlink(missing_ok=True)  # died between creating the file and its header
            return
        try:
            report.rows += land_spool_file(path)
        except ValueError as exc:
            report.unreadable.append(str(path))
            log.warning("%s; left in place", exc)
            return
        path.unlink(missing_ok=True)
        report.files += 1
    finally:
        os.close(fd)


def default_spool_dir(home) -> Path:
    return home.state / "spool"


_writers: dict[tuple[str, str], SpoolWriter] = {}
_writers_lock = threading.Lock()


def spool_writer(directory: Path, lake: Path) -> SpoolWriter:
    """The process-wide writer for a (spool folder, lake) pair."""
    key = (str(directory), str(lake))
    with _writers_lock:
        writer = _writers.get(key)
        if writer is None or writer.pid != os.getpid():
            writer = _writers[key] = SpoolWriter(directory, lake)
        return writer


def land_all() -> int:
    """Land every spool this process writes (at exit, so a clean exit leaves no spool behind)."""
    with _writers_lock:
        writers = [w for w in _writers.values() if w.pid == os.getpid()]
    total = 0
    for writer in writers:
        try:
            total += writer.land()
        except Exception:  # noqa: BLE001 - at exit, a failure must not hide the others; recovery retries
            log.exception("landing spool of %s failed; recover_spools will retry", writer.lake)
    return total


def _forget_after_fork() -> None:
    # A forked child must not write to (or land and delete) its parent's spool.
    with_parent = list(_writers.values())
    _writers.clear()
    for writer in with_parent:
        if writer._file is not None:
            os.close(writer._file.fd)
            writer._file = None


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(land_all)

__all__ = [
    "SPOOL_VERSION", "SUFFIX", "RecoveryReport", "SpoolWriter", "default_spool_dir", "land_all", "land_spool_file",
    "read_spool", "recover_spools", "spool_writer",
]
