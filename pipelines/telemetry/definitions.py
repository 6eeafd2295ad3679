"""Dagster definitions of this area, merged into the code location by pipelines/definitions.py."""

import dagster as dg


def definitions() -> dg.Definitions:
    return dg.Definitions()
