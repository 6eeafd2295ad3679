"""The SQL models as Dagster assets: one asset per model file, one check per audit.

They are built by one ``multi_asset`` so a refresh runs on a single DuckDB connection in
one transaction (like dagster-dbt runs a dbt project), yet each model keeps its own key,
lineage (parsed from its SQL), description, metadata and checks, and any subset of
them can be materialized.
"""


import dagster as dg

from pipelines.models import audits as model_audits
from pipelines.models import refresh as model_refresh
from pipelines.models.catalog import SEED_TABLES, Catalog, load_catalog
from pipelines.models.resources import WarehouseResource
from pipelines.models.warehouse import read_connection

GROUP = "models"
PREVIEW_ROWS = 5
SEED_DESCRIPTIONS = {
    "ref_model_prices": "Versioned model prices (USD per million tokens) that usage is priced against.",
    "ref_error_codes": "The error taxonomy: code, title, transient, remediation, documentation link.",
    "ref_budgets": "Monthly spend budgets from budgets.yaml or $JOBLENS_BUDGETS.",
}


class RefreshConfig(dg.Config):
    """Run-time knobs of a model refresh."""

    full: bool = False


def _specs(catalog: Catalog) -> list[dg.AssetSpec]:
    specs = [dg.AssetSpec(name, group_name=GROUP, description=SEED_DESCRIPTIONS[name], kinds={"duckdb"},
                          metadata={"kind": "seed"}) for name in SEED_TABLES]
    for name in catalog.order:
        model = catalog.models[name]
        deps = sorted(d for d in model.deps if d in catalog.models or d in SEED_TABLES)
        lake = sorted(model.deps - set(deps))
        metadata = {"kind": model.kind, "grain": ", ".join(model.grain), "sql_file": f"sql/{model.path.name}"}
        if lake:
            metadata["lake_tables"] = ", ".join(lake)
        specs.append(dg.AssetSpec(name, deps=deps, group_name=GROUP, description=model.description,
                                  kinds={"duckdb", "sql"}, metadata=metadata))
    return specs


def _check_specs(catalog: Catalog) -> list[dg.AssetCheckSpec]:
    return [dg.AssetCheckSpec(a.name, asset=a.model, description=a.description)
            for a in model_audits.all_audits(catalog)]


def build_model_assets(catalog: "Catalog | None" = None) -> dg.AssetsDefinition:
    catalog = catalog or load_catalog()

    @dg.multi_asset(name="sql_models", specs=_specs(catalog), check_specs=_check_specs(catalog), can_subset=True)
    def sql_models(context: dg.AssetExecutionContext, config: RefreshConfig, warehouse: WarehouseResource):
        """Refresh the DuckDB models in the warehouse from the lake (incrementally unless full)."""
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        home = warehouse.resolved_home()
        report = model_refresh.refresh(home, full=config.full, models=selected,
                                       memory_limit=warehouse.memory_limit, run_audits=True)
        context.log.info(f"models refresh: {report.mode}, {len(report.lake_days)} lake day(s), "
                         f"{report.runs_recomputed} run(s) recomputed in {report.seconds:.2f}s")
        yield from _materializations(catalog, selected, report, home)
        yield from _check_results(context, report)

    return sql_models


def _materializations(catalog: Catalog, selected: set[str], report, home):
    results = {r.name: r for r in report.models}
    with read_connection(home) as con:
        for name in [*SEED_TABLES, *catalog.order]:
            if name not in selected:
                continue
            result = results.get(name)
            metadata = {"refresh_mode": report.mode}
            if result is not None:
                metadata.update({"action": result.action, "seconds": round(result.seconds, 4)})
                if result.rows_written is not None:
                    metadata["rows_written"] = result.rows_written
            if name in SEED_TABLES or (name in catalog.models and catalog.models[name].persisted):
                metadata["dagster/row_count"] = con.execute(f"select count(*) from {name}").fetchone()[0]
                metadata["preview"] = dg.MetadataValue.md(_preview(con, name))
            yield dg.MaterializeResult(asset_key=name, metadata=metadata)


def _preview(con, name: str) -> str:
    cursor = con.execute(f"select * from {name} limit {PREVIEW_ROWS}")
    names = [d[0] for d in cursor.description]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in cursor.fetchall():
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines)


def _check_results(context: dg.AssetExecutionContext, report):
    wanted = context.selected_asset_check_keys
    for audit in report.audits:
        key = dg.AssetCheckKey(dg.AssetKey(audit.model), audit.name)
        if key in wanted:
            yield dg.AssetCheckResult(asset_key=audit.model, check_name=audit.name, passed=audit.passed,
                                      metadata={"bad_rows": audit.bad_rows, "sample": dg.MetadataValue.json(audit.sample)})
