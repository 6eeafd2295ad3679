"""The workflows JobLens ships run end to end with their example payloads, offline."""

from __future__ import annotations


import pytest

from pipelines.jobs.workflows.loader import SHIPPED_WORKFLOWS, workflow_files
from tests.jobs import workflow_testkit as kit




def _company(handler, body):
    domain = handler.path.split("domain=")[-1]
    return 200, {"name": "Northwind Traders", "employees": 2400, "industry": "global logistics",
                 "description": f"A multinational shipping group ({domain})."}, {}


@pytest.mark.parametrize("path", workflow_files(SHIPPED_WORKFLOWS), ids=lambda p: p.stem)
def test_shipped_workflow_runs_its_example(path, joblens_home):
    from pipelines.jobs.workflows.spec import load_spec

    spec = load_spec(path)
    with kit.http_server(_company) as (base, requests):
        payload = dict(spec.example)
        if "enrichment_url" in payload:
            payload["enrichment_url"] = base + "/companies"
        spec, result = kit.run_spec(path, payload, joblens_home.lake)
    assert result.success
    steps = kit.final_scope(spec, result)["steps"]
    assert list(steps) == [s.name for s in spec.steps]
    outputs = kit.lake_rows(joblens_home.lake, "select name from snapshots where kind = 'output'")
    assert outputs == [(spec.steps[-1].name,)]
    if spec.name == "support_ticket_triage":
        assert steps["classify"]["label"] == "account_access" and steps["page_oncall"]["delivered"]
    if spec.name == "lead_enrichment":
        assert steps["qualify"]["label"] == "enterprise" and steps["notify_sales"]["delivered"]
        assert requests[0]["path"] == "/companies?domain=northwind.example"
