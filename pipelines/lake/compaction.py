"""Compaction: landing files of a day merge into that day's compacted file(s).

Per table and day, in phases, each safe to die after:

1. check every landing file (manifest, footer, SHA-256, schema version); quarantine bad ones;
2. read the day's live compacted rows plus the good landing rows, drop repeated ids,
   sort by time, publish new compacted file(s) (not live yet: no manifest names them);
3. commit: atomically replace the day manifest with the new files, recording the landing
   files just merged and the compacted files just replaced as retired;
4. sweep: delete retired and merged files once they are older than the grace period
   (a query planned over the previous manifest still finds its files meanwhile), and
   what an interrupted run left behind.

A crash before 3 leaves unlisted files that the next run deletes; a crash after 3 leaves
merged landing files that readers already ignore and a later sweep deletes. No row is
lost, none is counted twice. Compaction is the single writer of ``tables/``.
"""

from __future__ import annotations

import fcntl
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import JoblensError
from pipelines.lake import faults, inventory
from pipelines.lake import schema as lake_schema
from pipelines.lake.files import TMP_SUFFIX, publish_parquet, read_sidecar, sidecar_path, unique_name
from pipelines.lake.writer import conform

log = logging.getLogger("joblens.lake")

DEFAULT_TARGET_FILE_MB = 256
DEFAULT_ROW_GROUP_ROWS = 1_000_000
STALE_TMP_S = 3600.0
DEFAULT_RETIRE_GRACE_S = 600.0


@dataclass
class CompactionReport:
    days_compacted: int = 0
    landing_files_merged: int = 0
    rows_written: int = 0
    files_written: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    garbage_removed: int = 0
    damaged: list[tuple[str, str]] = field(default_factory=list)  # compacted files failing their checks


def compact(
    lake: Path,
    tables: tuple[str, ...] | None = None,
    target_file_mb: int = DEFAULT_TARGET_FILE_MB,
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS,
    retire_grace_s: float = DEFAULT_RETIRE_GRACE_S,
) -> CompactionReport:
    """Compact every table (or ``tables``) of ``lake``; see the module docstring."""
    report = CompactionReport()
    for table in tables or lake_schema.TABLES:
        lake_schema.schema(table)  # unknown table names fail before anything moves
    lake.mkdir(parents=True, exist_ok=True)
    with open(lake / ".compaction.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JoblensError(f"another compaction of {lake} is running") from None
        for table in tables or lake_schema.TABLES:
            for day in inventory.days(lake / "tables", table):
                report.garbage_removed += _sweep(lake, table, day, retire_grace_s)
            for day in inventory.days(lake / "landing", table):
                if _compact_day(lake, table, day, target_file_mb, row_group_rows, report):
                    report.garbage_removed += _sweep(lake, table, day, retire_grace_s)
    return report


def _compact_day(lake: Path, table: str, day: str, target_mb: int, rg_rows: int, report: CompactionReport) -> bool:
    """Merge the day's good landing files into new compacted files; True when it committed."""
    day_dir = inventory.table_day_dir(lake, table, day)
    manifest = inventory.read_manifest(day_dir)
    good = _good_landing(lake, table, day, set(manifest.merged_landing), report)
    if not good or _damaged(day_dir, table, manifest, report):
        return False
    frames = [_read(day_dir / f.name, table) for f in manifest.files] + [_read(p, table) for p in good]
    rows = (
        pl.concat([pl.from_arrow(f) for f in frames], how="vertical_relaxed")
        .unique(subset="id", keep="first", maintain_order=True)
        .sort("ts", maintain_order=True)
    )
    merged_table = conform(table, rows.to_arrow())
    faults.checkpoint("compaction.before_publish")
    entries = _publish_parts(day_dir, table, merged_table, target_mb, rg_rows)
    faults.checkpoint("compaction.after_publish")
    landing_dir = lake / "landing" / table / f"date={day}"
    inventory.write_manifest(day_dir, _next_manifest(day_dir, landing_dir, manifest, entries, good))
    faults.checkpoint("compaction.after_commit")
    report.days_compacted += 1
    report.landing_files_merged += len(good)
    report.rows_written += merged_table.num_rows
    report.files_written += len(entries)
    return True


def _good_landing(lake: Path, table: str, day: str, merged: set[str], report: CompactionReport) -> list[Path]:
    """The day's unmerged landing files that pass every check; the others go to quarantine."""
    good = []
    for path in inventory.parquet_files(lake / "landing" / table / f"date={day}"):
        if path.name in merged:
            continue
        reason = inventory.problem(path, table, read_sidecar(path), verify_checksum=True)
        if reason is None:
            good.append(path)
        else:
            inventory.quarantine(lake, table, path, reason)
            report.quarantined.append((str(path), reason))
    return good


def _damaged(day_dir: Path, table: str, manifest: inventory.DayManifest, report: CompactionReport) -> bool:
    damaged = [(f.name, r) for f in manifest.files if (r := inventory.problem(day_dir / f.name, table, f, True))]
    if damaged:
        # Compacted rows have no other copy: leave the day as it is (readers skip the
        # damaged file, the landing files stay readable) for an operator to restore.
        log.error("not compacting %s: compacted file %s is damaged (%s)", day_dir, *damaged[0])
        report.damaged.extend((str(day_dir / name), reason) for name, reason in damaged)
    return bool(damaged)


def _next_manifest(day_dir: Path, landing_dir: Path, old: inventory.DayManifest, entries, merged_now: list[Path]):
    """The manifest that makes ``entries`` live, retiring the replaced parts and merged landing files."""
    now = time.time()
    live = {e.name for e in entries}
    retired = {n: t for n, t in old.retired.items() if (day_dir / n).exists()}
    retired.update({f.name: now for f in old.files if f.name not in live})
    merged = {n for n in old.merged_landing if (landing_dir / n).exists()} | {p.name for p in merged_now}
    merged_at = {n: old.merged_at.get(n, now) for n in merged} | {p.name: now for p in merged_now}
    return inventory.DayManifest(entries, sorted(merged), retired, merged_at)


def _read(path: Path, table: str) -> pa.Table:
    return conform(table, pq.read_table(path))


def _publish_parts(day_dir: Path, table: str, data: pa.Table, target_mb: int, rg_rows: int):
    version = lake_schema.schema_version(table)
    # Size parts from the in-memory size; zstd Parquet is several times smaller, so parts
    # land at or under the target. Parts are even, so the last one is not a small remainder.
    # No part below one row group, so small days stay one file.
    parts = max(1, min(math.ceil(data.nbytes / (target_mb * 2**20)), data.num_rows // rg_rows))
    bounds = [i * data.num_rows // parts for i in range(parts + 1)]
    entries = []
    for start, end in zip(bounds, bounds[1:]):
        part = data.slice(start, end - start)
        path = day_dir / f"part-{unique_name()}.parquet"
        entries.append(publish_parquet(part, path, version, row_group_size=rg_rows, sidecar=False))
    return entries


def _sweep(lake: Path, table: str, day: str, grace_s: float) -> int:
    """Delete retired files past the grace period and what an interrupted run left; the count."""
    day_dir = inventory.table_day_dir(lake, table, day)
    manifest = inventory.read_manifest(day_dir)
    live = {f.name for f in manifest.files}
    now = time.time()
    removed = 0
    for path in day_dir.iterdir() if day_dir.is_dir() else ():
        retired_at = manifest.retired.get(path.name)
        never_live = path.suffix == ".parquet" and path.name not in live and retired_at is None
        expired = retired_at is not None and now - retired_at >= grace_s
        stale_tmp = path.name.endswith(TMP_SUFFIX) and inventory.file_age_s(path) > STALE_TMP_S
        if never_live or expired or stale_tmp:
            path.unlink(missing_ok=True)
            removed += 1
            faults.checkpoint("compaction.during_gc")
    landing_dir = lake / "landing" / table / f"date={day}"
    for name in manifest.merged_landing:
        path = landing_dir / name
        if path.exists() and now - manifest.merged_at.get(name, 0.0) >= grace_s:
            path.unlink()
            sidecar_path(path).unlink(missing_ok=True)
            removed += 1
            faults.checkpoint("compaction.during_cleanup")
    return removed + _sweep_landing_leftovers(landing_dir)


def _sweep_landing_leftovers(landing_dir: Path) -> int:
    """Old temp files and sidecars whose data file never arrived (a writer died between them)."""
    removed = 0
    if not landing_dir.is_dir():
        return removed
    for path in landing_dir.iterdir():
        orphan_sidecar = path.name.endswith(".manifest.json") and not path.with_name(
            path.name.removesuffix(".manifest.json") + ".parquet"
        ).exists()
        stale_tmp = path.name.endswith(TMP_SUFFIX)
        if (orphan_sidecar or stale_tmp) and inventory.file_age_s(path) > STALE_TMP_S:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
