"""The DuckDB models in sql/ as Dagster assets, the warehouse, and the history simulator."""
