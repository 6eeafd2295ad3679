"""The ``warehouse`` resource: where the DuckDB warehouse is and how refreshes connect to it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import dagster as dg
import duckdb
from pydantic import Field

from pipelines.home import Home, resolve_home
from pipelines.models import warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The JobLens DuckDB warehouse (``warehouse.duckdb`` in the JobLens home) and its lake."""

    home: Optional[str] = Field(
        default=None, description="JobLens home folder; default $JOBLENS_HOME, read when the run starts."
    )
    memory_limit: Optional[str] = Field(
        default=None, description="DuckDB memory limit for refreshes (default $JOBLENS_DUCKDB_MEMORY_LIMIT or 1GB)."
    )

    def resolved_home(self) -> Home:
        return resolve_home(self.home)

    @property
    def database(self) -> str:
        return str(self.resolved_home().warehouse)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived read-only connection, for assets that read the models."""
        with warehouse.read_connection(self.resolved_home()) as con:
            yield con
