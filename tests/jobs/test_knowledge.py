"""Knowledge jobs: chunking, embedders, index → refresh → cleanup → optimize, and the OpenAI-compatible path."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from pipelines.jobs.knowledge.documents import Document, chunk_document, content_hash, load_documents
from pipelines.jobs.knowledge.embedders import HashingEmbedder
from pipelines.jobs.knowledge.jobs import (
    SHIPPED_CORPUS, knowledge_cleanup_job, knowledge_index_job, knowledge_optimize_job, knowledge_refresh_job,
)
from pipelines.jobs.knowledge.store import KnowledgeStore, knowledge_path
from pipelines.lake.reader import connect
from pipelines.telemetry.resource import TelemetryResource


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SHIPPED_CORPUS, folder)
    return folder


def _run(job, joblens_home, corpus, index_config: dict | None = None):
    ops = {"discover_documents": {"config": {"source_dir": str(corpus)}}} if "discover_documents" in job.graph.node_dict else {}
    op = "index_documents" if job.name == "knowledge_index" else "refresh_documents"
    if index_config:
        ops[op] = {"config": index_config}
    telemetry = TelemetryResource(lake_dir=str(joblens_home.lake), mirror_to_dagster_log=False)
    result = job.execute_in_process(run_config={"ops": ops}, resources={"telemetry": telemetry},
                                    instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result


def _metadata(result) -> dict:
    event = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"][-1]
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}


def test_shipped_corpus_is_a_real_set_of_documents():
    docs = load_documents(SHIPPED_CORPUS)
    assert 15 <= len(docs) <= 30
    assert all(1000 < len(d.text) < 8000 for d in docs)
    assert len({d.content_hash for d in docs}) == len(docs)


def test_chunks_respect_the_token_limit_and_keep_their_heading():
    paragraph = " ".join(f"Sentence {n} about retries and backoff." for n in range(80))
    doc = Document("a.md", "A", f"# Retries\n\n{paragraph}\n\n## Jitter\n\nSpread the retries out.", "h")
    chunks = chunk_document(doc, max_tokens=60)
    assert len(chunks) > 3 and all(c.tokens <= 60 + 5 for c in chunks)  # heading prefix adds a few tokens
    assert chunks[0].text.startswith("Retries\n\n") and chunks[-1].text == "Jitter\n\nSpread the retries out."
    assert [c.seq for c in chunks] == list(range(len(chunks)))


def test_hashing_embedder_is_deterministic_and_normalised():
    embedder = HashingEmbedder(64)
    a, b, c = embedder.embed(["retry with backoff", "retry with backoff", "quarterly budget report"]).vectors
    assert a == b and abs(sum(v * v for v in a) - 1.0) < 1e-9
    assert sum(x * y for x, y in zip(a, c)) < 0.9


def test_index_refresh_cleanup_optimize(joblens_home, corpus):
    store = KnowledgeStore(knowledge_path(joblens_home))
    indexed = _metadata(_run(knowledge_index_job, joblens_home, corpus, {"batch_size": 4}))
    total = len(load_documents(corpus))
    assert indexed["documents"] == total and indexed["batches"] == -(-total // 4)

    (corpus / "on-call-handbook.md").write_text("# On call\n\nPage the owner first.\n")
    (corpus / "lake-compaction.md").unlink()
    (corpus / "new-runbook.txt").write_text("New runbook\n\nRestart the daemon, then resume the queue.\n")
    refreshed = _metadata(_run(knowledge_refresh_job, joblens_home, corpus))
    assert (refreshed["changed_documents"], refreshed["removed_documents"]) == (2, 1)
    assert refreshed["documents"] == total and store.indexed_hashes()["on-call-handbook.md"] == content_hash(
        "# On call\n\nPage the owner first.\n")
    assert _metadata(_run(knowledge_refresh_job, joblens_home, corpus))["changed_documents"] == 0

    with store.connect() as con:  # a duplicate chunk and an orphan, as a crash could leave
        con.execute("insert into chunks select * from chunks where doc_path = 'new-runbook.txt'")
        con.execute("insert into chunks select chunk_id, 'gone.md', seq, heading, text, tokens, content_hash,"
                    " embedding, embedder, indexed_at from chunks where doc_path = 'new-runbook.txt'")
    before = store.counts()["chunks"]
    cleaned = _metadata(_run(knowledge_cleanup_job, joblens_home, corpus))
    # new-runbook.txt's chunk doubled, and copied twice under a document that does not exist:
    # two duplicates (one per document), then the remaining orphan
    assert (cleaned["duplicate_chunks_removed"], cleaned["orphan_chunks_removed"]) == (2, 1)
    assert store.counts()["chunks"] == before - 3

    optimized = _metadata(_run(knowledge_optimize_job, joblens_home, corpus))
    assert optimized["bytes_after"] <= optimized["bytes_before"] and store.counts()["chunks"] == before - 3

    con = connect(joblens_home.lake)
    calls = con.execute("select provider, operation, count(*), min(input_tokens) from model_calls group by all").fetchall()
    assert calls[0][:2] == ("local", "embeddings") and calls[0][3] > 0
    assert con.execute("select count(*) from snapshots where name = 'knowledge_cleanup'").fetchone() == (1,)


class _EmbeddingsAPI(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, self.headers.get("Authorization"), body))
        texts = body["input"]
        payload = {"object": "list", "model": body["model"],
                   "data": [{"object": "embedding", "index": i, "embedding": [0.1 * (i + 1)] * 8} for i in range(len(texts))],
                   "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)}}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_openai_compatible_embeddings_are_recorded_as_model_calls(joblens_home, tmp_path, monkeypatch):
    folder = tmp_path / "few"
    folder.mkdir()
    for n in range(3):
        (folder / f"doc{n}.md").write_text(f"# Doc {n}\n\nRetries need jitter, number {n}.\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("JOBLENS_EMBEDDINGS_API_KEY", "sk-test-123")
    try:
        _run(knowledge_index_job, joblens_home, folder, {
            "embedder": "openai", "embeddings_base_url": f"http://127.0.0.1:{server.server_port}/v1",
            "embeddings_model": "text-embedding-3-small", "batch_size": 2})
    finally:
        server.shutdown()
    assert [r[0] for r in _EmbeddingsAPI.requests] == ["/v1/embeddings", "/v1/embeddings"]
    assert _EmbeddingsAPI.requests[0][1] == "Bearer sk-test-123"
    con = connect(joblens_home.lake)
    rows = con.execute("select provider, model, operation, input_tokens, outcome from model_calls order by input_tokens").fetchall()
    assert rows == [("openai", "text-embedding-3-small", "embeddings", 7, "ok"),
                    ("openai", "text-embedding-3-small", "embeddings", 14, "ok")]
    with KnowledgeStore(knowledge_path(joblens_home)).connect() as kb:
        assert kb.execute("select distinct embedder, len(embedding) from chunks").fetchall() == [
            ("openai/text-embedding-3-small", 8)]
