"""Backups of a JobLens home: warehouse, lake and knowledge base, with a checksum manifest.

A backup is ``JOBLENS_HOME/backups/<UTC stamp>/`` holding a copy of each part and a
``manifest.json`` listing every file with its size and SHA-256. It is assembled in a
hidden ``.<stamp>.partial`` folder and renamed into place only when complete, so a
crash never leaves something that looks like a finished backup. DuckDB files are
checkpointed before they are copied, so the copy needs no write-ahead log.

``restore`` verifies every checksum before touching anything, refuses a damaged backup
naming the first bad file, and moves the current state aside to
``backups/pre-restore-<stamp>/`` instead of overwriting it: nothing recorded is lost.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.home import Home
from pipelines.lake.files import TMP_SUFFIX, fsync_dir, publish_json, sha256_file

MANIFEST = "manifest.json"
DUCKDB_PARTS = ("warehouse.duckdb", "knowledge.duckdb", "alerts.duckdb")
LAKE_PART = "lake"


@dataclass(frozen=True)
class BackupReport:
    path: Path
    files: int
    bytes: int


def backups_root(home: Home) -> Path:
    return home.root / "backups"


def backup(home: Home, keep: int | None = None) -> BackupReport:
    """Back up ``home`` into a new timestamped folder; prune to the newest ``keep`` backups."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    root = backups_root(home)
    partial = root / f".{stamp}.partial"
    partial.mkdir(parents=True)
    try:
        for name in DUCKDB_PARTS:
            if (home.root / name).exists():
                _copy_duckdb(home.root / name, partial / name)
        if home.lake.is_dir():
            shutil.copytree(home.lake, partial / LAKE_PART, ignore=_ignore_temporary)
        entries = [_entry(partial, path) for path in sorted(partial.rglob("*")) if path.is_file()]
        publish_json(partial / MANIFEST, {"created_at": stamp, "home": str(home.root), "files": entries})
        final = root / stamp
        os.replace(partial, final)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if keep:
        prune(home, keep)
    return BackupReport(final, len(entries), sum(e["bytes"] for e in entries))


def _copy_duckdb(source: Path, target: Path) -> None:
    import duckdb

    try:
        con = duckdb.connect(str(source))
    except duckdb.Error as exc:
        raise JoblensError(f"backup: cannot open {source} to checkpoint it ({str(exc).splitlines()[0]})") from None
    try:
        con.execute("checkpoint")
        shutil.copy2(source, target)
    finally:
        con.close()


def _ignore_temporary(folder: str, names: list[str]) -> set[str]:
    # Files being written right now are not part of the record yet; lock files are not data.
    return {n for n in names if n.endswith(TMP_SUFFIX) or n.endswith(".lock")}


def _entry(root: Path, path: Path) -> dict:
    return {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def verify(backup_dir: Path) -> list[str]:
    """Every problem of a backup: missing manifest, missing, resized or altered files."""
    backup_dir = Path(backup_dir)
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text())
        files = manifest["files"]
    except FileNotFoundError:
        return [f"{backup_dir}: no {MANIFEST}; not a JobLens backup"]
    except (ValueError, KeyError, TypeError):
        return [f"{backup_dir / MANIFEST}: unreadable manifest"]
    problems = []
    for entry in files:
        path = backup_dir / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']}: size {path.stat().st_size} differs from manifest ({entry['bytes']})")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs from manifest")
    return problems


def restore(backup_dir: Path, home: Home) -> Path:
    """Verify ``backup_dir`` and restore it into ``home``; returns where the previous state was moved."""
    backup_dir = Path(backup_dir).expanduser().absolute()
    problems = verify(backup_dir)
    if problems:
        raise JoblensError(f"backup {backup_dir} failed verification: {problems[0]}"
                           + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    aside = backups_root(home) / f"pre-restore-{stamp}"
    aside.mkdir(parents=True)
    for name in (*DUCKDB_PARTS, LAKE_PART):
        current = home.root / name
        if current.exists():
            os.replace(current, aside / name)
        wal = home.root / f"{name}.wal"
        if wal.exists():
            os.replace(wal, aside / wal.name)
    for name in (*DUCKDB_PARTS, LAKE_PART):
        source = backup_dir / name
        if source.is_dir():
            shutil.copytree(source, home.root / name)
        elif source.is_file():
            shutil.copy2(source, home.root / name)
    return aside


def prune(home: Home, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` complete backups; the folders removed."""
    complete = sorted(p for p in backups_root(home).iterdir() if p.is_dir() and (p / MANIFEST).exists()
                      and not p.name.startswith(("pre-restore-", ".")))
    doomed = complete[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed
