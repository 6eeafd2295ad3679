"""Everything a simulation holds fixed: window, pool limits, bursts, error texts and priced models.

The error taxonomy, signatures and price table come from the telemetry record, so the
simulated history classifies, groups and prices exactly as captured history does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

import polars as pl

from pipelines.models import sim_catalog as cat
from pipelines.models.sim_details import ErrorText, error_text
from pipelines.models.sim_plan import Window, pool_limits
from pipelines.models.sim_random import Draws
from pipelines.models.sim_steps import Burst, scenario_frame


@dataclass(frozen=True)
class Context:
    seed: int
    window: Window
    limits: dict[str, int]
    jobs: pl.DataFrame
    steps: pl.DataFrame
    scenarios: pl.DataFrame
    bursts: list[Burst]
    error_text: ErrorText
    transient: dict[str, bool]
    model_choices: dict[tuple[str, str], tuple[cat.ModelChoice, ...]]
    new_error_signature: str


def build_context(seed: int, days: int, runs_per_day: int, bounds: tuple[float, float]) -> Context:
    from pipelines.telemetry.prices import load_prices
    from pipelines.telemetry.signature import signature
    from pipelines.telemetry.taxonomy import ERROR_CODES

    window = Window(*bounds)
    transient = {code: bool(info.transient) for code, info in ERROR_CODES.items()}
    text = error_text(signature)
    new_idx = cat.ALL_SCENARIOS.index(cat.NEW_SCENARIO)
    return Context(
        seed=seed, window=window, limits=pool_limits(runs_per_day), jobs=cat.jobs_frame(), steps=cat.steps_frame(),
        scenarios=scenario_frame(transient), bursts=bursts(seed, window, days), error_text=text, transient=transient,
        model_choices=priced_choices(load_prices()), new_error_signature=text.frame["signature"][new_idx],
    )


def bursts(seed: int, window: Window, days: int) -> list[Burst]:
    """Failure bursts: one in the last week, more spread over the history, scenarios recurring."""
    count = max(2, days // 7)
    u = Draws(seed, "bursts").uniform("burst", count * 3).to_list()
    out = []
    for k in range(count):
        u_start, u_len, u_scn = u[3 * k: 3 * k + 3]
        span = 6 * 86400.0 if k == 0 else window.end - window.start
        start = window.end - span + u_start * (span - 4 * 3600.0)
        name, kinds, job_name = cat.BURSTS[int(u_scn * len(cat.BURSTS))]
        scenario = next(i for i, s in enumerate(cat.ALL_SCENARIOS) if s.name == name)
        out.append(Burst(max(window.start, start), start + 3600.0 * (1 + 3 * u_len), scenario, kinds, job_name))
    return out


def priced_choices(prices) -> dict[tuple[str, str], tuple[cat.ModelChoice, ...]]:
    """Each model-calling step's (provider, model, share) choices, keeping only models the price table knows."""
    patterns = list(zip(prices.column("provider").to_pylist(), prices.column("model_pattern").to_pylist()))

    def priced(provider: str, model: str) -> bool:
        return any(p == provider and fnmatch(model, pattern) for p, pattern in patterns)

    out = {}
    for job in cat.JOBS:
        for step in job.steps:
            if not step.models:
                continue
            kept = tuple(c for c in step.models if priced(c[0], c[1])) or _fallback(patterns, step.operation)
            out[(job.name, step.key)] = kept
    return out


def _fallback(patterns: list[tuple[str, str]], operation: str | None) -> tuple[cat.ModelChoice, ...]:
    wants_embedding = operation == "embeddings"
    for provider, pattern in patterns:
        if ("embed" in pattern) == wants_embedding:
            return ((provider, pattern.rstrip("*").rstrip("-") or pattern, 1.0),)
    provider, pattern = patterns[0]
    return ((provider, pattern.rstrip("*"), 1.0),)
