"""The DuckDB models: one ``<table>.sql`` file per model, one SELECT each, plus budgets.yaml."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent
BUDGETS_FILE = SQL_DIR / "budgets.yaml"


def model_files(directory: Path = SQL_DIR) -> list[Path]:
    """Every model file, sorted by name: the file stem is the table name and the asset key."""
    return sorted(p for p in directory.glob("*.sql") if not p.name.startswith("."))
