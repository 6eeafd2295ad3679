"""The model catalog: dependencies parsed from SQL, headers, and the graph's integrity."""

from __future__ import annotations

import pytest

from pipelines.errors import JoblensError
from pipelines.models.catalog import LAKE_SOURCES, SEED_TABLES, load_catalog, referenced_tables

PUBLIC = ("fct_runs", "fct_steps", "agg_job_daily", "agg_cost_daily", "failure_patterns", "agg_step_performance",
          "agg_trends", "agg_capacity", "run_eta", "budget_status", "retry_economics")


def test_dependencies_come_from_from_and_join_but_not_ctes():
    sql = """
        with a as (select * from runs r join steps s using (run_id)),
        final as (select * from a where run_id in (select run_id from errors)
                  union all select * from (select * from ref_model_prices) as p)
        select * from final asof left join fct_runs f on true
    """
    assert referenced_tables(sql) == {"runs", "steps", "errors", "ref_model_prices", "fct_runs"}


def test_every_referenced_table_is_a_model_or_a_known_source():
    catalog = load_catalog()
    known = set(catalog.models) | set(LAKE_SOURCES) | set(SEED_TABLES)
    for model in catalog.models.values():
        assert model.deps <= known, (model.name, model.deps - known)
        assert model.deps, model.name


def test_public_models_exist_with_their_prefixes_and_only_staging_reads_the_lake():
    catalog = load_catalog()
    assert set(PUBLIC) <= set(catalog.models)
    for name, model in catalog.models.items():
        assert name.startswith(("stg_", "int_", "fct_", "agg_")) or name in PUBLIC
        assert bool(model.deps & set(LAKE_SOURCES)) == name.startswith("stg_")
        assert model.description and model.grain


def test_order_puts_every_model_after_what_it_reads():
    catalog = load_catalog()
    position = {name: i for i, name in enumerate(catalog.order)}
    for name in catalog.order:
        for dep in catalog.upstream_models(name):
            assert position[dep] < position[name]


def _write(directory, name, sql):
    (directory / f"{name}.sql").write_text(sql)


def test_a_reference_to_an_unknown_table_fails(tmp_path):
    _write(tmp_path, "fct_things", "-- fct_things: things.\n-- grain: id\nselect id from stg_nothing\n")
    with pytest.raises(JoblensError, match="stg_nothing.*neither a model nor a source"):
        load_catalog(tmp_path)


def test_a_non_staging_model_reading_the_lake_fails(tmp_path):
    _write(tmp_path, "fct_things", "-- fct_things: things.\n-- grain: id\nselect id from runs\n")
    with pytest.raises(JoblensError, match="only stg_ models read the lake"):
        load_catalog(tmp_path)


def test_a_cycle_and_a_bad_header_fail(tmp_path):
    _write(tmp_path, "int_a", "-- int_a: a.\n-- grain: id\nselect id from int_b\n")
    _write(tmp_path, "int_b", "-- int_b: b.\n-- grain: id\nselect id from int_a\n")
    with pytest.raises(JoblensError, match="cycle"):
        load_catalog(tmp_path)
    (tmp_path / "int_b.sql").unlink()
    _write(tmp_path, "int_a", "-- wrong: a.\nselect 1 as id\n")
    with pytest.raises(JoblensError, match="first line"):
        load_catalog(tmp_path)
