"""What the simulated history is made of: the jobs, their steps, and how steps fail.

Job names follow the shipped code location: workflow jobs are ``workflow__<name>`` for
the workflows in ``data/workflows/``, knowledge and system jobs carry their own names.
Figures (durations, failure rates, token counts) are medians chosen to look like a
small team's production: a few hundred milliseconds for HTTP steps, seconds for chat
calls, a minute for embedding a batch of documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

# (provider, model, share) choices of a step that calls models.
ModelChoice = tuple[str, str, float]


@dataclass(frozen=True)
class Step:
    key: str
    kind: str  # http, transform, llm, embed, validate, notify, io
    median_s: float
    sigma: float = 0.35
    cpu_share: float = 0.3
    rss_mb: float = 120.0
    fail_p: float = 0.004
    calls: float = 0.0  # mean model calls per attempt
    operation: str | None = None
    models: tuple[ModelChoice, ...] = ()
    input_tokens: int = 0  # median per call
    output_tokens: int = 0
    snapshot: str | None = None  # name of the intermediate snapshot it takes


@dataclass(frozen=True)
class Job:
    name: str
    job_type: str
    team: str
    priority: int
    weight: float
    profile: str  # arrival profile: business, nightly, flat
    triggers: tuple[tuple[str, float, str], ...]  # (trigger, share, trigger_source template)
    steps: tuple[Step, ...]
    input_name: str = "input"
    output_name: str = "output"
    prep_s: float = 2.0
    pool: str = field(default="")

    @property
    def concurrency_pool(self) -> str:
        return self.pool or self.job_type


_MINI = (("openai", "gpt-4o-mini", 0.8), ("local", "local-extractive", 0.2))
_SONNET = (("anthropic", "claude-3-5-sonnet-20241022", 0.6), ("openai", "gpt-4o", 0.3), ("local", "local-extractive", 0.1))
_FLASH = (("google", "gemini-1.5-flash", 0.6), ("mistral", "mistral-small-latest", 0.4))
_EMBED = (("openai", "text-embedding-3-small", 0.7), ("local", "local-hashing", 0.3))


def _http(key: str, median_s: float, kind: str = "http", **kw) -> Step:
    return Step(key, kind, median_s, **{"sigma": 0.5, "cpu_share": 0.05, "rss_mb": 90, "fail_p": 0.012, **kw})


def _llm(key: str, median_s: float, models, calls=1.0, tin=900, tout=250, **kw) -> Step:
    return Step(key, "llm", median_s, **{"sigma": 0.45, "cpu_share": 0.04, "rss_mb": 140, "fail_p": 0.01, "calls": calls,
                                         "operation": "chat", "models": models, "input_tokens": tin,
                                         "output_tokens": tout, **kw})


def _fast(key: str, kind: str, median_s: float, **kw) -> Step:
    return Step(key, kind, median_s, **{"sigma": 0.3, "cpu_share": 0.9, "rss_mb": 110, "fail_p": 0.002, **kw})


def _workflow(name: str, steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """A shipped workflow's ops: its input check, then each step as ``<workflow>__<step>``."""
    inputs = _fast("inputs", "validate", 0.01, fail_p=0.001)
    return tuple(replace(s, key=f"{name}__{s.key}") for s in (inputs, *steps))


# Step keys are the op names the shipped jobs run under: ``<workflow>__<step>`` for the
# workflows of data/workflows/ (after their ``__inputs`` check), the op names of
# pipelines/jobs/knowledge and pipelines/jobs/system for the others.
JOBS: tuple[Job, ...] = (
    Job("workflow__support_ticket_triage", "workflow", "support", 5, 0.32, "business",
        (("webhook", 0.7, "/webhook/support_ticket_triage"), ("sensor", 0.15, "inbox/support_ticket_triage/ticket-{n}.json"),
         ("schedule", 0.1, "support_ticket_triage_schedule"), ("manual", 0.05, "joblens run")),
        _workflow("support_ticket_triage", (
            _fast("normalize", "transform", 0.02),
            _llm("classify", 2.2, _MINI, tin=700, tout=40, snapshot="intent"),
            _llm("summarize", 5.5, _MINI, tin=1400, tout=320),
            _fast("check", "validate", 0.02, fail_p=0.006),
            _fast("urgent", "transform", 0.01),
            _http("page_oncall", 0.4, kind="notify"))),
        input_name="ticket", output_name="triage"),
    Job("workflow__document_summarization", "workflow", "knowledge", 0, 0.18, "business",
        (("sensor", 0.5, "inbox/document_summarization/doc-{n}.pdf"), ("webhook", 0.3, "/webhook/document_summarization"),
         ("manual", 0.1, "joblens run"), ("schedule", 0.1, "document_summarization_schedule")),
        _workflow("document_summarization", (
            _fast("clean", "transform", 0.3, snapshot="chunks"),
            _llm("summarize", 14.0, _SONNET, calls=3.0, tin=3200, tout=450),
            Step("embed", "embed", 1.5, sigma=0.4, cpu_share=0.2, rss_mb=180, fail_p=0.008, calls=1.0,
                 operation="embeddings", models=_EMBED, input_tokens=450, output_tokens=0),
            _fast("check", "validate", 0.05, fail_p=0.005),
            _fast("package", "transform", 0.05))),
        input_name="document", output_name="summary"),
    Job("workflow__lead_enrichment", "workflow", "growth", 3, 0.16, "business",
        (("schedule", 0.4, "lead_enrichment_schedule"), ("webhook", 0.4, "/webhook/lead_enrichment"),
         ("manual", 0.2, "joblens run")),
        _workflow("lead_enrichment", (
            _fast("normalize", "transform", 0.02),
            _http("lookup", 2.5, snapshot="company_profile"),
            _fast("profile", "transform", 0.03),
            _llm("qualify", 3.0, _FLASH, tin=1100, tout=120),
            _fast("check", "validate", 0.02, fail_p=0.006),
            _fast("enterprise_only", "transform", 0.01),
            _http("notify_sales", 0.6, kind="notify"))),
        input_name="lead", output_name="scored_lead"),
    Job("knowledge_index", "knowledge", "knowledge", -5, 0.03, "nightly",
        (("schedule", 0.6, "knowledge_index_schedule"), ("sensor", 0.2, "knowledge_inbox_sensor"), ("manual", 0.2, "joblens run")),
        (_fast("discover_documents", "io", 0.5),
         Step("index_documents", "embed", 60.0, sigma=0.4, cpu_share=0.6, rss_mb=600, fail_p=0.01, calls=6.0,
              operation="embeddings", models=_EMBED, input_tokens=6000, output_tokens=0, snapshot="chunks")),
        input_name="documents", output_name="knowledge_base", prep_s=4.0),
    Job("knowledge_refresh", "knowledge", "knowledge", -5, 0.05, "nightly",
        (("schedule", 0.8, "knowledge_refresh_schedule"), ("sensor", 0.2, "knowledge_inbox_sensor")),
        (Step("discover_documents", "io", 2.0, cpu_share=0.7, rss_mb=200),
         Step("refresh_documents", "embed", 15.0, sigma=0.5, cpu_share=0.4, rss_mb=420, fail_p=0.01, calls=2.0,
              operation="embeddings", models=_EMBED, input_tokens=4000, output_tokens=0)),
        input_name="changed_documents", output_name="knowledge_base", prep_s=4.0),
    Job("knowledge_optimize", "knowledge", "knowledge", -10, 0.01, "nightly",
        (("schedule", 0.9, "knowledge_optimize_schedule"), ("manual", 0.1, "joblens run")),
        (Step("optimize_store", "io", 20.0, cpu_share=0.8, rss_mb=700),),
        input_name="store_stats", output_name="store_stats", prep_s=4.0),
    Job("knowledge_cleanup", "knowledge", "knowledge", -10, 0.01, "nightly",
        (("schedule", 1.0, "knowledge_cleanup_schedule"),),
        (Step("cleanup_chunks", "transform", 8.0, cpu_share=0.9, rss_mb=450),),
        input_name="chunk_stats", output_name="removed_chunks", prep_s=4.0),
    Job("lake_compaction", "system", "platform", 0, 0.02, "flat",
        (("schedule", 1.0, "lake_compaction_schedule"),),
        (Step("compact_lake", "io", 40.0, cpu_share=0.85, rss_mb=900, fail_p=0.003),),
        input_name="landing_files", output_name="compaction_report", prep_s=1.0),
    Job("retention_cleanup", "system", "platform", 0, 0.01, "flat",
        (("schedule", 1.0, "retention_cleanup_schedule"),),
        (Step("expire_lake_partitions", "io", 13.0, cpu_share=0.6), Step("purge_dagster_runs", "io", 4.0, cpu_share=0.4)),
        input_name="retention_policy", output_name="retention_report", prep_s=1.0),
    Job("backup", "system", "platform", 0, 0.01, "flat",
        (("schedule", 0.9, "backup_schedule"), ("manual", 0.1, "joblens run")),
        (Step("back_up_home", "io", 75.0, cpu_share=0.45, rss_mb=300),),
        input_name="backup_plan", output_name="backup_manifest", prep_s=1.0),
    Job("health_check", "system", "platform", 20, 0.03, "flat",
        (("schedule", 1.0, "health_check_schedule"),),
        (_fast("check_health", "io", 1.5),),
        input_name="checks", output_name="health_report", prep_s=1.0),
)


@dataclass(frozen=True)
class Scenario:
    """One recurring failure: same class and message shape, so the same signature every time."""

    name: str
    code: str
    error_class: str
    template: str  # {n} and {m} become numbers, {id} a run-id fragment
    kinds: tuple[str, ...]  # step kinds it can hit
    weight: float
    frame: str  # the user's own frame at the top of the stack
    job_types: tuple[str, ...] = ("workflow", "knowledge", "system")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("provider_rate_limit", "rate_limit", "openai.RateLimitError",
             "Error code: 429 - Rate limit reached on tokens per min (TPM): Limit 200000, Used {n}, Requested {m}.",
             ("llm", "embed"), 3.0, "pipelines/jobs/workflows/llm.py:call"),
    Scenario("upstream_503", "upstream_5xx", "httpx.HTTPStatusError",
             "Server error '503 Service Unavailable' for url 'https://api.partner.example.com/v2/records/{n}'",
             ("http", "notify"), 3.0, "pipelines/jobs/workflows/steps.py:run_http"),
    Scenario("upstream_timeout", "timeout", "httpx.ReadTimeout",
             "timed out after 30 seconds reading https://api.partner.example.com/v2/records/{n}",
             ("http", "notify"), 2.0, "pipelines/jobs/workflows/steps.py:run_http"),
    Scenario("connection_refused", "network", "httpx.ConnectError", "[Errno 111] Connection refused",
             ("http", "notify", "llm", "embed"), 1.0, "pipelines/jobs/workflows/steps.py:run_http"),
    Scenario("schema_violation", "data_validation", "jsonschema.exceptions.ValidationError",
             "'customer_id' is a required property (record {n})", ("validate",), 4.0,
             "pipelines/jobs/workflows/steps.py:run_validate"),
    Scenario("duckdb_oom", "resource_exhausted", "duckdb.OutOfMemoryException",
             "Out of Memory Error: could not allocate block of size {n} bytes", ("io", "transform"), 1.0,
             "pipelines/jobs/knowledge/store.py:upsert_documents", ("knowledge", "system")),
    Scenario("document_missing", "dependency_missing", "FileNotFoundError",
             "[Errno 2] No such file or directory: 'data/knowledge/doc-{n}.md'", ("io", "transform"), 1.0,
             "pipelines/jobs/knowledge/documents.py:load_documents", ("knowledge",)),
    Scenario("disk_full", "resource_exhausted", "OSError", "[Errno 28] No space left on device", ("io",), 1.0,
             "pipelines/jobs/system/backup.py:backup", ("system",)),
    Scenario("none_operand", "code_defect", "TypeError",
             "unsupported operand type(s) for +: 'NoneType' and 'int'", ("transform", "io", "validate"), 0.6,
             "pipelines/jobs/workflows/templating.py:evaluate"),
    Scenario("budget_stop", "budget_exceeded", "pipelines.jobs.budget.BudgetExceededError",
             "monthly model budget exceeded: spent {n} USD of {m} USD", ("llm",), 0.3,
             "pipelines/jobs/workflows/llm.py:call"),
    Scenario("bad_api_key", "authentication", "openai.AuthenticationError",
             "Error code: 401 - Incorrect API key provided", ("llm", "embed"), 0.2,
             "pipelines/jobs/workflows/llm.py:call"),
    Scenario("odd_response", "unknown", "RuntimeError", "unexpected response shape from provider (got {n} keys)",
             ("http", "llm"), 0.5, "pipelines/jobs/workflows/llm.py:reply_data"),
)

# Appears only in the last days: a release that renamed a field of the summary.
NEW_SCENARIO = Scenario("summary_v2_key", "code_defect", "KeyError", "'summary_v2'", ("validate",), 0.0,
                        "pipelines/jobs/workflows/steps.py:run_validate")
NEW_SCENARIO_STEP = ("workflow__document_summarization", "document_summarization__check")
# Before a run starts: the code location cannot import (a run with no steps).
PREP_SCENARIO = Scenario("plugin_import", "dependency_missing", "ModuleNotFoundError", "No module named 'joblens_plugins'",
                         (), 0.0, "pipelines/definitions.py:definitions")
# The step that slowly gets slower over the last third of the history.
REGRESSED_STEP = ("workflow__lead_enrichment", "lead_enrichment__lookup")

ALL_SCENARIOS: tuple[Scenario, ...] = SCENARIOS + (NEW_SCENARIO, PREP_SCENARIO)

# Failure bursts: (scenario, step kinds hit, job hit or "" for all). One is drawn per burst window.
BURSTS = (("provider_rate_limit", ("llm", "embed"), ""),
          ("upstream_503", ("http", "notify"), "workflow__support_ticket_triage"),
          ("upstream_timeout", ("http", "notify"), "workflow__lead_enrichment"))

# Hour-of-day (UTC) and day-of-week (Monday first) arrival weights per profile.
PROFILES = {
    "business": ([0.12, 0.1, 0.1, 0.1, 0.12, 0.2, 0.35, 0.6, 0.9, 1.0, 1.0, 0.95, 0.8, 0.95, 1.0, 1.0, 0.9, 0.75,
                  0.55, 0.4, 0.3, 0.22, 0.18, 0.14], [1.0, 1.05, 1.05, 1.0, 0.9, 0.35, 0.25]),
    "nightly": ([1.0, 1.0, 0.9, 0.8, 0.6, 0.3] + [0.15] * 16 + [0.4, 0.8], [1.0] * 5 + [0.8, 0.8]),
    "flat": ([1.0] * 24, [1.0] * 7),
}


def jobs_frame() -> pl.DataFrame:
    """One row per job, indexed by ``job_id`` (its position in ``JOBS``)."""
    return pl.DataFrame(
        {
            "job_id": list(range(len(JOBS))),
            "job_name": [j.name for j in JOBS],
            "job_type": [j.job_type for j in JOBS],
            "team": [j.team for j in JOBS],
            "priority": [j.priority for j in JOBS],
            "pool": [j.concurrency_pool for j in JOBS],
            "n_steps": [len(j.steps) for j in JOBS],
            "prep_s": [j.prep_s for j in JOBS],
            "input_name": [j.input_name for j in JOBS],
            "output_name": [j.output_name for j in JOBS],
        },
        schema_overrides={"job_id": pl.Int32, "n_steps": pl.Int32, "priority": pl.Int32},
    )


def steps_frame() -> pl.DataFrame:
    """One row per (job, step), in execution order."""
    rows = []
    for job_id, job in enumerate(JOBS):
        for step_idx, s in enumerate(job.steps):
            rows.append({
                "job_id": job_id, "step_idx": step_idx, "step_key": s.key, "kind": s.kind,
                "median_s": s.median_s, "sigma": s.sigma, "cpu_share": s.cpu_share, "rss_mb": s.rss_mb,
                "fail_p": s.fail_p, "calls": s.calls, "operation": s.operation,
                "job_type": job.job_type, "job_name": job.name, "input_tokens": s.input_tokens, "output_tokens": s.output_tokens, "snapshot": s.snapshot,
                "regressed": (job.name, s.key) == REGRESSED_STEP,
                "new_error_step": (job.name, s.key) == NEW_SCENARIO_STEP,
            })
    return pl.DataFrame(rows, schema_overrides={"job_id": pl.Int32, "step_idx": pl.Int32})
