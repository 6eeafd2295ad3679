"""Telemetry capture: from the Dagster event log and from inside ops."""
