"""What the lake holds: day manifests, landing files, preflight checks and quarantine.

``tables/<table>/date=D/_manifest.json`` lists the live compacted files of that day and
the landing files already merged into them. Replacing that manifest is compaction's
commit point: a compacted file it does not list is not live, and a landing file it
lists as merged is no longer read, whether or not it has been deleted yet.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.lake import faults
from pipelines.lake import schema as lake_schema
from pipelines.lake.files import FileEntry, publish_json, read_sidecar, sha256_file, sidecar_path

log = logging.getLogger("joblens.lake")
MANIFEST = "_manifest.json"


@dataclass
class DayManifest:
    files: list[FileEntry] = field(default_factory=list)
    merged_landing: list[str] = field(default_factory=list)
    # When files stopped being live (epoch seconds): compacted parts replaced by newer
    # ones and landing files merged. They stay on disk for a grace period, so a query
    # planned over the previous manifest still finds every file it names.
    retired: dict[str, float] = field(default_factory=dict)
    merged_at: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"files": [f.to_dict() for f in self.files], "merged_landing": sorted(self.merged_landing),
                "retired": dict(sorted(self.retired.items())), "merged_at": dict(sorted(self.merged_at.items()))}


@dataclass
class LiveFiles:
    """The files a read of one table should scan, after preflight."""

    compacted: list[Path] = field(default_factory=list)
    landing: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    # Column names found in the admitted files' footers, so a read need not open them again.
    columns: set[str] = field(default_factory=set)

    def compacted_on(self, days: set[str]) -> list[Path]:
        return [p for p in self.compacted if p.parent.name.removeprefix("date=") in days]

    @property
    def landing_days(self) -> set[str]:
        return {p.parent.name.removeprefix("date=") for p in self.landing}


def table_day_dir(lake: Path, table: str, day: str) -> Path:
    return lake / "tables" / table / f"date={day}"


def read_manifest(day_dir: Path) -> DayManifest:
    try:
        raw = json.loads((day_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return DayManifest()
    return DayManifest(
        [FileEntry.from_dict(f) for f in raw["files"]],
        list(raw.get("merged_landing", [])),
        dict(raw.get("retired", {})),
        dict(raw.get("merged_at", {})),
    )


def write_manifest(day_dir: Path, manifest: DayManifest) -> None:
    publish_json(day_dir / MANIFEST, manifest.to_dict())


def days(root: Path, table: str) -> list[str]:
    """The ``date=`` partitions of ``table`` under ``root`` (landing or tables), sorted."""
    try:
        with os.scandir(root / table) as entries:  # d_type, no stat per partition
            return sorted(e.name.removeprefix("date=") for e in entries if e.name.startswith("date=") and e.is_dir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def parquet_files(day_dir: Path) -> list[Path]:
    if not day_dir.is_dir():
        return []
    return sorted(p for p in day_dir.iterdir() if p.suffix == ".parquet" and not p.name.startswith("."))


def problem(path: Path, table: str, entry: FileEntry | None, verify_checksum: bool = False) -> str | None:
    """Why ``path`` must not join a read, or None when its footer and manifest agree."""
    return _preflight(path, table, entry, verify_checksum)[0]


def _preflight(path: Path, table: str, entry: FileEntry | None,
               verify_checksum: bool) -> tuple[str | None, list[str]]:
    """``problem`` plus the file's column names, from one read of its footer."""
    if entry is None:
        return "no manifest", []
    try:
        meta = pq.read_metadata(path)
    except Exception as exc:  # pyarrow raises several types for damaged footers
        return f"unreadable Parquet footer ({exc})", []
    # Top-level names: the Parquet schema lists the leaves of nested columns instead.
    return _check(path, table, entry, meta, verify_checksum), meta.schema.to_arrow_schema().names


def _check(path: Path, table: str, entry: FileEntry, meta, verify_checksum: bool) -> str | None:
    """The version, manifest and (optionally) checksum checks of a file whose footer reads."""
    kv = meta.metadata or {}
    raw_version = kv.get(lake_schema.SCHEMA_VERSION_KEY, b"").decode() or None
    if raw_version is None or not raw_version.isdigit():
        return "no schema version in file metadata"
    if int(raw_version) not in lake_schema.supported_versions(table):
        return f"unknown schema version {raw_version}"
    if meta.num_rows != entry.rows:
        return f"row count {meta.num_rows} differs from manifest ({entry.rows})"
    try:
        size = path.stat().st_size
        if size != entry.bytes:
            return f"size {size} differs from manifest ({entry.bytes})"
        if verify_checksum and sha256_file(path) != entry.sha256:
            return "SHA-256 differs from manifest"
    except OSError as exc:  # removed by a concurrent compaction, or unreadable
        return f"unreadable ({exc.strerror})"
    return None


def quarantine(lake: Path, table: str, path: Path, reason: str) -> Path:
    """Move a bad landing file (and its sidecar) out of every read, recording why."""
    day = path.parent.name
    target_dir = lake / "quarantine" / table / day
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / path.name
    # The reason first: a crash part-way never leaves a quarantined file unexplained, and
    # the next compaction, finding the file still in landing, quarantines it again.
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    (target_dir / f"{path.stem}.reason.txt").write_text(f"{stamp} {reason}\n")
    shutil.move(path, target)
    faults.checkpoint("quarantine.after_move")
    side = sidecar_path(path)
    if side.exists():
        shutil.move(side, target_dir / side.name)
    log.warning("quarantined %s: %s", path, reason)
    return target


def live_files(lake: Path, table: str, only_days: set[str] | None = None) -> LiveFiles:
    """Preflighted compacted and landing files of ``table``; bad files are skipped and logged."""
    out = LiveFiles()
    merged: dict[str, set[str]] = {}
    for day in days(lake / "tables", table):
        if only_days is not None and day not in only_days:
            continue
        day_dir = table_day_dir(lake, table, day)
        manifest = read_manifest(day_dir)
        merged[day] = set(manifest.merged_landing)
        for entry in manifest.files:
            _admit(out, out.compacted, day_dir / entry.name, table, entry)
    for day in days(lake / "landing", table):
        if only_days is not None and day not in only_days:
            continue
        for path in parquet_files(lake / "landing" / table / f"date={day}"):
            if path.name not in merged.get(day, set()):
                # Landing files are small and written by many processes: checksum them on
                # every read, so a damaged page is skipped instead of failing the query.
                _admit(out, out.landing, path, table, read_sidecar(path), verify_checksum=True)
    return out


def _admit(out: LiveFiles, into: list[Path], path: Path, table: str, entry: FileEntry | None,
           verify_checksum: bool = False) -> None:
    if path.exists():
        reason, names = _preflight(path, table, entry, verify_checksum)
    else:
        reason, names = "listed in manifest but missing", []
    if reason is None:
        into.append(path)
        out.columns.update(names)
    else:
        out.skipped.append((path, reason))
        log.warning("skipping %s: %s", path, reason)


def file_age_s(path: Path) -> float:
    try:
        return datetime.now().timestamp() - os.stat(path).st_mtime
    except FileNotFoundError:
        return 0.0
