"""CLI: reports and dashboards."""
