"""The knowledge jobs: index, refresh, optimize and clean up the knowledge base."""

import os
from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import Field

from pipelines.home import resolve_home
from pipelines.instance import job_type_tags
from pipelines.jobs.knowledge.documents import Document, load_documents
from pipelines.jobs.knowledge.embedders import make_embedder
from pipelines.jobs.knowledge.indexing import index_in_batches
from pipelines.jobs.knowledge.store import KnowledgeStore, knowledge_path
from pipelines.jobs.run_retry import RUN_RETRY_PROFILE_TAG
from pipelines.shipped import shipped_folder
from pipelines.telemetry.resource import TelemetryResource

SHIPPED_CORPUS = shipped_folder("knowledge")
KNOWLEDGE_TAGS = job_type_tags("knowledge", priority=0, team="platform")


class SourceConfig(dg.Config):
    source_dir: Optional[str] = Field(default=None, description="Documents folder; default $JOBLENS_KNOWLEDGE_DIR, else the shipped data/knowledge.")

    def folder(self) -> Path:
        return Path(self.source_dir or os.environ.get("JOBLENS_KNOWLEDGE_DIR") or SHIPPED_CORPUS)


class IndexConfig(dg.Config):
    batch_size: int = Field(default=5, description="Documents per batch; each finished batch is a checkpoint.")
    chunk_tokens: int = Field(default=200, description="Maximum tokens per chunk.")
    embedder: str = Field(default="hashing", description="hashing (offline, deterministic) or openai (any OpenAI-compatible endpoint).")
    embedding_dim: int = Field(default=256, description="Vector size of the hashing embedder.")
    embeddings_base_url: Optional[str] = Field(default=None, description="OpenAI-compatible base URL; default $JOBLENS_EMBEDDINGS_BASE_URL.")
    embeddings_model: Optional[str] = Field(default=None, description="Embedding model; default $JOBLENS_EMBEDDINGS_MODEL.")
    api_key_env: str = Field(default="JOBLENS_EMBEDDINGS_API_KEY", description="Environment variable holding the API key.")
    min_batch_interval_s: float = Field(default=0.0, description="Minimum seconds per batch, to stay under a provider's rate limit.")

    def make_embedder(self):
        return make_embedder(
            self.embedder, self.embedding_dim,
            self.embeddings_base_url or os.environ.get("JOBLENS_EMBEDDINGS_BASE_URL"),
            self.embeddings_model or os.environ.get("JOBLENS_EMBEDDINGS_MODEL"),
            os.environ.get(self.api_key_env),
        )


def _store() -> KnowledgeStore:
    return KnowledgeStore(knowledge_path(resolve_home().ensure()))


def _doc_listing(docs: list[Document]) -> list[dict]:
    return [{"path": d.path, "title": d.title, "content_hash": d.content_hash[:16], "chars": len(d.text)} for d in docs]


@dg.op
def discover_documents(context: dg.OpExecutionContext, config: SourceConfig, telemetry: TelemetryResource) -> list:
    """Reads the markdown and text documents of the knowledge folder."""
    with telemetry.step(context) as t:
        docs = load_documents(config.folder())
        t.info("documents found", folder=str(config.folder()), documents=len(docs))
        t.snapshot("input", "documents", _doc_listing(docs))
        return docs


@dg.op
def index_documents(context: dg.OpExecutionContext, config: IndexConfig, telemetry: TelemetryResource,
                    documents: list) -> dg.Output:
    """Chunks, embeds and upserts the documents batch by batch; a re-execution skips finished batches."""
    with telemetry.step(context) as t:
        root = context.run.root_run_id or context.run_id
        result = index_in_batches(
            t, _store(), config.make_embedder(), documents, root_run_id=root, run_id=context.run_id,
            batch_size=config.batch_size, chunk_tokens=config.chunk_tokens,
            min_batch_interval_s=config.min_batch_interval_s,
        )
        summary = {**vars(result), **_store().counts()}
        t.snapshot("output", "knowledge_index", summary)
        return dg.Output(None, metadata=summary)


@dg.op
def refresh_documents(context: dg.OpExecutionContext, config: IndexConfig, telemetry: TelemetryResource,
                      documents: list) -> dg.Output:
    """Re-indexes documents whose content hash changed and deletes chunks of removed documents."""
    with telemetry.step(context) as t:
        store = _store()
        indexed = store.indexed_hashes()
        changed = [d for d in documents if indexed.get(d.path) != d.content_hash]
        removed = sorted(set(indexed) - {d.path for d in documents})
        deleted_chunks = store.delete_documents(removed)
        t.info("refresh plan", changed=len(changed), unchanged=len(documents) - len(changed), removed=len(removed))
        result = index_in_batches(
            t, store, config.make_embedder(), changed, root_run_id=context.run.root_run_id or context.run_id,
            run_id=context.run_id, batch_size=config.batch_size, chunk_tokens=config.chunk_tokens,
            min_batch_interval_s=config.min_batch_interval_s,
        )
        summary = {"changed_documents": len(changed), "removed_documents": len(removed),
                   "deleted_chunks": deleted_chunks, "chunks_written": result.chunks, **store.counts()}
        t.snapshot("output", "knowledge_refresh", {**summary, "changed": [d.path for d in changed], "removed": removed})
        return dg.Output(None, metadata=summary)


@dg.op
def optimize_store(context: dg.OpExecutionContext, telemetry: TelemetryResource) -> dg.Output:
    """Rebuilds and checkpoints the knowledge base file; reports its size before and after."""
    with telemetry.step(context) as t:
        before, after = _store().optimize()
        summary = {"bytes_before": before, "bytes_after": after, "bytes_saved": before - after}
        t.info("knowledge base optimized", **summary)
        t.snapshot("output", "knowledge_optimize", summary)
        return dg.Output(None, metadata=summary)


@dg.op
def cleanup_chunks(context: dg.OpExecutionContext, telemetry: TelemetryResource) -> dg.Output:
    """Deletes duplicate chunks within a document and chunks whose document is gone."""
    with telemetry.step(context) as t:
        store = _store()
        report = store.cleanup()
        summary = {"duplicate_chunks_removed": report.duplicate_chunks,
                   "orphan_chunks_removed": report.orphan_chunks, **store.counts()}
        t.info("knowledge base cleaned", **summary)
        t.snapshot("output", "knowledge_cleanup", summary)
        return dg.Output(None, metadata=summary)


@dg.job(name="knowledge_index", tags={**KNOWLEDGE_TAGS, RUN_RETRY_PROFILE_TAG: "default"})
def knowledge_index_job():
    """Indexes every document of the knowledge folder into JOBLENS_HOME/knowledge.duckdb (resumable per batch)."""
    index_documents(discover_documents())


@dg.job(name="knowledge_refresh", tags={**KNOWLEDGE_TAGS, RUN_RETRY_PROFILE_TAG: "default"})
def knowledge_refresh_job():
    """Re-indexes only documents whose content changed and removes chunks of deleted documents."""
    refresh_documents(discover_documents())


@dg.job(name="knowledge_optimize", tags=KNOWLEDGE_TAGS)
def knowledge_optimize_job():
    """Rebuilds and checkpoints the knowledge base; reports its size before and after."""
    optimize_store()


@dg.job(name="knowledge_cleanup", tags=KNOWLEDGE_TAGS)
def knowledge_cleanup_job():
    """Removes duplicate and orphaned chunks from the knowledge base."""
    cleanup_chunks()


KNOWLEDGE_JOBS = (knowledge_index_job, knowledge_refresh_job, knowledge_optimize_job, knowledge_cleanup_job)
