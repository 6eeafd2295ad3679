"""Dagster definitions of this area, merged into the code location by pipelines/definitions.py."""

import dagster as dg

from pipelines.alerts.assets import alert_quality
from pipelines.alerts.sensors import alert_rules_sensor, run_failure_alert_sensor


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[alert_quality], sensors=[run_failure_alert_sensor, alert_rules_sensor])
