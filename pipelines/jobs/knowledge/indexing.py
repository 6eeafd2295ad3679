"""Indexing documents into the knowledge base, batch by batch, with a checkpoint per batch.

Shared by ``knowledge_index`` (every document) and ``knowledge_refresh`` (changed ones).
Batches are numbered over the run's document list; a finished batch is recorded under
the run's *root* run id, which its re-executions share, so re-executing a cancelled or
failed index run from failure skips straight to the first unfinished batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipelines.jobs.knowledge.documents import Chunk, Document, chunk_document
from pipelines.jobs.knowledge.embedders import Embedder
from pipelines.jobs.knowledge.store import KnowledgeStore

EMBED_BATCH = 64  # texts per embeddings request, under every provider's input limit


@dataclass
class IndexResult:
    batches: int = 0
    batches_skipped: int = 0
    documents: int = 0
    chunks: int = 0
    tokens: int = 0


def index_in_batches(t, store: KnowledgeStore, embedder: Embedder, docs: list[Document], *, root_run_id: str,
                     run_id: str, batch_size: int, chunk_tokens: int, min_batch_interval_s: float = 0.0) -> IndexResult:
    """Chunk, embed and upsert ``docs`` batch by batch, skipping batches ``root_run_id`` finished."""
    batches = [docs[i:i + batch_size] for i in range(0, len(docs), batch_size)]
    finished = store.finished_batches(root_run_id)
    result = IndexResult(batches=len(batches), batches_skipped=len(finished & set(range(len(batches)))))
    if result.batches_skipped:
        t.info("resuming index: skipping finished batches", skipped_batches=result.batches_skipped,
               total_batches=len(batches), root_run_id=root_run_id)
    for number, batch in enumerate(batches):
        if number in finished:
            continue
        started = time.monotonic()
        chunks = [c for doc in batch for c in chunk_document(doc, chunk_tokens)]
        vectors = embed_chunks(t, embedder, chunks)
        store.upsert_documents(batch, chunks, vectors, f"{embedder.provider}/{embedder.model}", run_id)
        store.mark_batch(root_run_id, number, len(batch), len(chunks), run_id)
        result.documents += len(batch)
        result.chunks += len(chunks)
        result.tokens += sum(c.tokens for c in chunks)
        t.progress(number + 1, len(batches), f"indexed batch {number + 1} of {len(batches)}")
        # Hosted embedding APIs rate-limit per minute; spacing batches keeps a big index under it.
        pause = min_batch_interval_s - (time.monotonic() - started)
        if pause > 0 and number + 1 < len(batches):
            time.sleep(pause)
    return result


def embed_chunks(t, embedder: Embedder, chunks: list[Chunk]) -> list[list[float]]:
    """Vectors of ``chunks``; each request is one model call in the record, failed ones included."""
    vectors: list[list[float]] = []
    for start in range(0, len(chunks), EMBED_BATCH):
        texts = [c.text for c in chunks[start:start + EMBED_BATCH]]
        began = time.perf_counter()
        try:
            result = embedder.embed(texts)
        except Exception as exc:
            code = t.record_error(exc)
            outcome = {"timeout": "timeout", "rate_limit": "rate_limited"}.get(code.code, "error")
            t.model_call(embedder.provider, embedder.model, "embeddings", input_tokens=0, output_tokens=0,
                         latency_ms=(time.perf_counter() - began) * 1000, outcome=outcome, error_code=code.code)
            raise
        t.model_call(result.provider, result.model, "embeddings", input_tokens=result.input_tokens,
                     output_tokens=0, latency_ms=result.latency_ms)
        vectors.extend(result.vectors)
    return vectors
