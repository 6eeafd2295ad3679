"""The knowledge base: one DuckDB file in ``JOBLENS_HOME`` with documents, chunks and checkpoints.

- ``documents``: one row per indexed document (path, title, content hash, counts).
- ``chunks``: the embedded chunks, each with its own content hash.
- ``index_checkpoints``: the document batches an index run (identified by its *root*
  run id, shared by its re-executions) has finished, so a resumed run skips them.

Connections are short-lived: DuckDB allows one read-write process per file, and the
Dagster UI, a refresh run and ``joblens sql`` may all want the file.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa

from pipelines.duckdb_files import connect_file
from pipelines.jobs.knowledge.documents import Chunk, Document

_SCHEMA = (
    """create table if not exists documents (
        path varchar primary key, title varchar, content_hash varchar not null,
        chunk_count integer, tokens bigint, embedder varchar, indexed_at timestamptz, run_id varchar)""",
    """create table if not exists chunks (
        chunk_id varchar not null, doc_path varchar not null, seq integer not null, heading varchar,
        text varchar not null, tokens integer, content_hash varchar not null, embedding float[],
        embedder varchar, indexed_at timestamptz)""",
    """create table if not exists index_checkpoints (
        root_run_id varchar not null, batch integer not null, documents integer, chunks integer,
        run_id varchar, finished_at timestamptz, primary key (root_run_id, batch))""",
)


@dataclass(frozen=True)
class CleanupReport:
    duplicate_chunks: int
    orphan_chunks: int


class KnowledgeStore:
    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.path.exists():
            read_only = False
        con = connect_file(self.path, read_only=read_only)
        try:
            if not read_only:
                for statement in _SCHEMA:
                    con.execute(statement)
            yield con
        finally:
            con.close()

    def indexed_hashes(self) -> dict[str, str]:
        with self.connect() as con:
            return dict(con.execute("select path, content_hash from documents").fetchall())

    def upsert_documents(self, docs: list[Document], chunks: list[Chunk], vectors: list[list[float]],
                         embedder: str, run_id: str) -> None:
        """Replace the chunks of ``docs`` in one transaction: a crash leaves the old version whole."""
        now = datetime.now(timezone.utc)
        per_doc: dict[str, list[Chunk]] = {d.path: [] for d in docs}
        for chunk in chunks:
            per_doc[chunk.doc_path].append(chunk)
        chunk_rows = pa.table({
            "chunk_id": [f"{c.doc_path}#{c.seq}:{c.content_hash[:12]}" for c in chunks],
            "doc_path": [c.doc_path for c in chunks],
            "seq": pa.array([c.seq for c in chunks], pa.int32()),
            "heading": [c.heading for c in chunks],
            "text": [c.text for c in chunks],
            "tokens": pa.array([c.tokens for c in chunks], pa.int32()),
            "content_hash": [c.content_hash for c in chunks],
            "embedding": pa.array(vectors, pa.list_(pa.float32())),
        })
        doc_rows = [(d.path, d.title, d.content_hash, len(per_doc[d.path]), sum(c.tokens for c in per_doc[d.path]),
                     embedder, now, run_id) for d in docs]
        with self.connect() as con:
            con.execute("begin")
            try:
                paths = [d.path for d in docs]
                con.execute("delete from chunks where doc_path in (select unnest(?))", [paths])
                con.execute("delete from documents where path in (select unnest(?))", [paths])
                con.register("new_chunks", chunk_rows)
                con.execute(
                    "insert into chunks select chunk_id, doc_path, seq, heading, text, tokens, content_hash,"
                    " embedding, ? as embedder, ? as indexed_at from new_chunks", [embedder, now])
                con.executemany("insert into documents values (?, ?, ?, ?, ?, ?, ?, ?)", doc_rows)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise

    def delete_documents(self, paths: list[str]) -> int:
        """Remove documents and their chunks; the number of chunks removed."""
        if not paths:
            return 0
        with self.connect() as con:
            removed = con.execute("select count(*) from chunks where doc_path in (select unnest(?))", [paths]).fetchone()[0]
            con.execute("delete from chunks where doc_path in (select unnest(?))", [paths])
            con.execute("delete from documents where path in (select unnest(?))", [paths])
            return int(removed)

    def finished_batches(self, root_run_id: str) -> set[int]:
        with self.connect() as con:
            rows = con.execute("select batch from index_checkpoints where root_run_id = ?", [root_run_id]).fetchall()
            return {r[0] for r in rows}

    def mark_batch(self, root_run_id: str, batch: int, documents: int, chunks: int, run_id: str) -> None:
        with self.connect() as con:
            con.execute("insert or replace into index_checkpoints values (?, ?, ?, ?, ?, ?)",
                        [root_run_id, batch, documents, chunks, run_id, datetime.now(timezone.utc)])

    def counts(self) -> dict[str, int]:
        with self.connect() as con:
            docs, chunks = con.execute("select (select count(*) from documents), (select count(*) from chunks)").fetchone()
            return {"documents": int(docs), "chunks": int(chunks)}

    def size_bytes(self) -> int:
        wal = self.path.with_name(self.path.name + ".wal")
        return sum(p.stat().st_size for p in (self.path, wal) if p.exists())

    def cleanup(self) -> CleanupReport:
        """Delete chunks repeated within a document (same content hash) and chunks of no document."""
        with self.connect() as con:
            con.execute("begin")
            duplicates = con.execute(
                "select count(*) - count(distinct (doc_path, content_hash)) from chunks").fetchone()[0]
            con.execute(
                "delete from chunks where rowid in (select rowid from (select rowid, row_number() over"
                " (partition by doc_path, content_hash order by seq, indexed_at) as n from chunks) where n > 1)")
            orphans = con.execute(
                "select count(*) from chunks where doc_path not in (select path from documents)").fetchone()[0]
            con.execute("delete from chunks where doc_path not in (select path from documents)")
            con.execute("update documents set chunk_count = (select count(*) from chunks where doc_path = path)")
            con.execute("commit")
        return CleanupReport(int(duplicates), int(orphans))

    def optimize(self) -> tuple[int, int]:
        """Rebuild the file (DuckDB never shrinks a file after deletes) and checkpoint; sizes before, after."""
        before = self.size_bytes()
        if not self.path.exists():
            return before, before
        with self.connect() as con:
            con.execute("checkpoint")
        rebuilt = self.path.with_name(f".{self.path.name}.rebuild")
        rebuilt.unlink(missing_ok=True)
        con = duckdb.connect()
        try:
            con.execute("attach ? as old (read_only)", [str(self.path)])
            con.execute("attach ? as new", [str(rebuilt)])
            con.execute("copy from database old to new")
            con.execute("detach new")
            con.execute("detach old")
        finally:
            con.close()
        os.replace(rebuilt, self.path)
        return before, self.size_bytes()

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the file (checkpointed first so the WAL is empty)."""
        with self.connect() as con:
            con.execute("checkpoint")
        shutil.copy2(self.path, target)


def knowledge_path(home) -> Path:
    return home.root / "knowledge.duckdb"
