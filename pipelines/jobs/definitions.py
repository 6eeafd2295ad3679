"""Dagster definitions of the jobs area: workflows, plus knowledge and system jobs when present."""

from __future__ import annotations

import importlib
import importlib.util

import dagster as dg

from pipelines.jobs.workflows import definitions as workflows

OPTIONAL_AREAS = ("pipelines.jobs.knowledge", "pipelines.jobs.system", "pipelines.jobs.control")


def _area_definitions(module_name: str) -> dg.Definitions | None:
    """``<area>.definitions()`` of a module or of a package's ``definitions`` submodule, if any."""
    if importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    if hasattr(module, "__path__") and importlib.util.find_spec(f"{module_name}.definitions") is not None:
        module = importlib.import_module(f"{module_name}.definitions")
    build = getattr(module, "definitions", None)
    return build() if callable(build) else None


def definitions() -> dg.Definitions:
    parts = [workflows.definitions()]
    parts += [d for d in map(_area_definitions, OPTIONAL_AREAS) if d is not None]
    return dg.Definitions.merge(*parts)
