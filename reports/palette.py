"""The one palette of JobLens charts: the same colour for a job type or a status everywhere.

Colours are from the Okabe–Ito set, readable by people with colour-vision deficiencies
and distinct in greyscale print.
"""

from __future__ import annotations

JOB_TYPE_COLOURS = {
    "workflow": "#0072B2",
    "knowledge": "#009E73",
    "system": "#CC79A7",
    "unknown": "#999999",
}

STATUS_COLOURS = {
    "completed": "#009E73",
    "failed": "#D55E00",
    "cancelled": "#999999",
    "running": "#56B4E9",
    "queued": "#E69F00",
    "preparing": "#F0E442",
}

# Series that are neither a job type nor a status (models, jobs): a fixed cycle, assigned in
# sorted order of the series names so a model keeps its colour between two reports.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
ACCENT = "#0072B2"
NEUTRAL = "#999999"


def scale_for(field: str, values: list[str]) -> tuple[list[str], list[str]]:
    """Domain and colour range of a colour encoding on ``field`` over ``values``."""
    fixed = {"job_type": JOB_TYPE_COLOURS, "status": STATUS_COLOURS}.get(field)
    if fixed is not None:
        domain = [v for v in fixed if v in values] + sorted(v for v in set(values) if v not in fixed)
        return domain, [fixed.get(v, NEUTRAL) for v in domain]
    domain = sorted(set(values))
    return domain, [SERIES_COLOURS[i % len(SERIES_COLOURS)] for i in range(len(domain))]
