"""A code location for the webhook tests: the workflows of ``$JOBLENS_WORKFLOWS`` with telemetry bound."""

import dagster as dg

from pipelines.jobs.workflows.definitions import definitions
from pipelines.telemetry.resource import TelemetryResource

defs = dg.Definitions.merge(definitions(), dg.Definitions(resources={"telemetry": TelemetryResource()}))
