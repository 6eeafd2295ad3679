"""Workflow jobs: YAML files in ``data/workflows/`` become Dagster jobs ``workflow__<name>``."""
