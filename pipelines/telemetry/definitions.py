"""Dagster definitions of this area, merged into the code location by pipelines/definitions.py."""

import dagster as dg

from pipelines.telemetry.resource import TelemetryResource
from pipelines.telemetry.sensors import telemetry_capture_sensor


def definitions() -> dg.Definitions:
    return dg.Definitions(
        sensors=[telemetry_capture_sensor],
        resources={"telemetry": TelemetryResource()},
    )
