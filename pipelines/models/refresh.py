"""The refresh: bring the warehouse up to date with the lake. One implementation, used by
``joblens refresh`` (through Dagster), the Dagster model assets and the benchmark.

``refresh(home)`` recomputes what changed since the last refresh (or everything, the
first time, with ``full=True``, or after a model file or the price table changed, since
history must then be recomputed or re-priced); ``refresh_days(home, days)`` recomputes
the given lake days whether or not they changed. Everything one refresh writes commits
in one transaction: a failure leaves the warehouse as it was. Two things come first: the
reference tables (seeds), and a full refresh's run-keyed facts, staged chunk by chunk under
other names that the transaction swaps in (pipelines/models/chunked.py).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pipelines.home import Home, resolve_home
from pipelines.models import audits as model_audits
from pipelines.models import chunked, runner, seeds, state
from pipelines.models.catalog import Catalog, load_catalog
from pipelines.models.runner import ModelResult
from pipelines.models.warehouse import WAREHOUSE, refresh_connection, table_exists

VERSION_KEY = "models_version"


@dataclass
class RefreshReport:
    """What one refresh did: mode (full, incremental, up_to_date), lake days, models, audits."""

    mode: str
    lake_days: list[str] = field(default_factory=list)
    runs_recomputed: int = 0
    models: list[ModelResult] = field(default_factory=list)
    audits: list[model_audits.AuditResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def query_seconds(self) -> float:
        return sum(m.seconds for m in self.models)

    @property
    def failed_audits(self) -> list[model_audits.AuditResult]:
        return [a for a in self.audits if not a.passed]


def refresh(
    home: Home | str | Path | None = None,
    full: bool = False,
    models: Iterable[str] | None = None,
    memory_limit: str | None = None,
    run_audits: bool = True,
    chunk_bytes: int | None = None,
) -> RefreshReport:
    """Refresh what is stale (everything with ``full``); ``models`` limits which tables are written.
    A full refresh folds the run-keyed facts ``chunk_bytes`` of lake Parquet at a time."""
    return _refresh(_home(home), full, None, models, memory_limit, run_audits, chunk_bytes)


def refresh_days(
    home: Home | str | Path | None,
    days: Iterable[str],
    models: Iterable[str] | None = None,
    memory_limit: str | None = None,
    run_audits: bool = True,
) -> RefreshReport:
    """Recompute the runs and days touched by the lake partitions of ``days`` (ISO dates)."""
    return _refresh(_home(home), False, {str(d) for d in days}, models, memory_limit, run_audits)


def _home(home: Home | str | Path | None) -> Home:
    return home if isinstance(home, Home) else resolve_home(home)


def models_version(catalog: Catalog, seed_fingerprint: str) -> str:
    """A digest of every model's SQL and the reference data: when it moves, history is rebuilt."""
    digest = hashlib.sha256(seed_fingerprint.encode())
    for name in catalog.order:
        digest.update(f"{name}\0{catalog.models[name].sql}\0".encode())
    return digest.hexdigest()[:16]


def _refresh(home, full, forced_days, models, memory_limit, run_audits, chunk_bytes=None) -> RefreshReport:
    started = time.perf_counter()
    catalog = load_catalog()
    persisted = [n for n in catalog.order if catalog.models[n].persisted]
    selected = persisted if models is None else [n for n in persisted if n in set(models)]
    complete = len(selected) == len(persisted)
    reference = seeds.seed_tables()
    version = models_version(catalog, seeds.fingerprint(reference))
    with refresh_connection(home, memory_limit) as con:
        state.ensure_schema(con)
        fingerprints = state.lake_fingerprints(home.lake)
        full = full or _needs_full(con, selected, version)
        changed = forced_days if forced_days is not None else state.changed_days(con, fingerprints)
        seeds.write_seeds(con, reference)
        chunked.drop_leftovers(con)
        staged = runner.stage_full(con, home.lake, catalog, selected, chunk_bytes) if full else []
        con.execute("begin transaction")
        try:
            report = _materialize(con, home, catalog, selected, full, changed, staged, fingerprints)
            if complete and report.mode != "up_to_date":
                state.record_days(con, fingerprints, None if full else changed)
                state.set_setting(con, VERSION_KEY, version)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        if run_audits and report.mode != "up_to_date":
            scopes = audit_scopes(catalog) if report.mode == "incremental" else None
            report.audits = [model_audits.run_audit(con, a) for a in model_audits.all_audits(catalog, scopes)
                             if a.model in selected]
    report.seconds = time.perf_counter() - started
    return report


def audit_scopes(catalog: Catalog) -> dict[str, str]:
    """After an incremental refresh, merged models are audited on the rows it wrote only:
    the rest passed their audits when written, and re-auditing all history every time
    would cost as much as the history is long."""
    scopes = {}
    for name, model in catalog.models.items():
        if model.kind == "incremental_by_run":
            scopes[name] = ("day >= getvariable('refresh_horizon') "
                            "and run_id in (select run_id from temp.refresh_runs)")
        elif model.kind == "incremental_by_day":
            scopes[name] = "day in (select day from temp.refresh_days)"
        elif model.kind == "incremental_from_day":
            scopes[name] = f"{model.since} >= getvariable('refresh_from')"
    return scopes


def _needs_full(con, selected: list[str], version: str) -> bool:
    if state.setting(con, VERSION_KEY) != version:
        return True
    return not all(table_exists(con, name) for name in selected)


def _materialize(con, home: Home, catalog: Catalog, selected: list[str], full: bool, changed: set[str],
                 staged: list[ModelResult], fingerprints: dict[tuple[str, str], str]) -> RefreshReport:
    con.execute(f"use {WAREHOUSE}")
    if full:
        results = runner.run_full(con, home.lake, catalog, selected, staged)
        return RefreshReport("full", sorted({d for _, d in fingerprints}), 0, results)
    if not changed:
        return RefreshReport("up_to_date")
    results, runs = runner.run_incremental(con, home.lake, catalog, selected, changed)
    return RefreshReport("incremental", sorted(changed), runs, results)
