"""Dagster definitions of this area, merged into the code location by pipelines/definitions.py."""

import dagster as dg

from pipelines.models.assets import GROUP, build_model_assets
from pipelines.models.resources import WarehouseResource

models_refresh_job = dg.define_asset_job(
    "models_refresh_job",
    selection=dg.AssetSelection.groups(GROUP),
    description="Refresh the DuckDB models from the lake: only the days that changed.",
)


def definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[build_model_assets()],
        jobs=[models_refresh_job],
        resources={"warehouse": WarehouseResource()},
    )
