"""JobLens: the Dagster code location, telemetry capture, the lake, jobs and the CLI."""
