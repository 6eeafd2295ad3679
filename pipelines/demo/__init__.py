"""``joblens demo``: simulated history, real runs of every job kind through Dagster, and
everything built on them (models, reports, dashboards, alerts), in one JobLens home.

``run_demo(home, …) -> DemoSummary`` is the entry point; the CLI and the end-to-end
tests call it. Both are imported on first use, so ``pipelines.demo.defaults`` stays light
for the CLI's option defaults.
"""

from __future__ import annotations

__all__ = ["DemoSummary", "run_demo"]


def __getattr__(name: str):
    if name == "run_demo":
        from pipelines.demo.run import run_demo

        return run_demo
    if name == "DemoSummary":
        from pipelines.demo.summary import DemoSummary

        return DemoSummary
    raise AttributeError(f"module 'pipelines.demo' has no attribute {name!r}")
