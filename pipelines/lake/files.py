"""Durable file publishing and the per-file manifests the lake's integrity rests on.

A file is published by writing it under a temporary name in its final folder, fsyncing
it, renaming it into place and fsyncing the folder, so a reader sees either nothing or
the whole file. Temporary names start with ``.`` and end with ``.tmp``; nothing that
lists the lake picks them up.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.lake import faults

COMPRESSION = "zstd"
TMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class FileEntry:
    """What the manifest knows of one published Parquet file."""

    name: str
    rows: int
    bytes: int
    sha256: str
    schema_version: int

    @classmethod
    def from_dict(cls, raw: dict) -> "FileEntry":
        return cls(**{k: raw[k] for k in ("name", "rows", "bytes", "sha256", "schema_version")})

    def to_dict(self) -> dict:
        return asdict(self)


def unique_name(prefix: str = "") -> str:
    """A file stem no other writer, in any process or on any host, will pick."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    host = socket.gethostname().split(".")[0][:16] or "host"
    return f"{prefix}{stamp}-{host}-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` then atomically move ``tmp`` to ``path`` (fsync file and folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.checkpoint("publish.before_rename")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def publish_json(path: Path, payload: dict) -> None:
    data = json.dumps(payload, indent=1, sort_keys=True).encode()
    publish(path, lambda tmp: tmp.write_bytes(data))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parquet(table: pa.Table, tmp: Path, row_group_size: int) -> None:
    pq.write_table(
        table,
        tmp,
        compression=COMPRESSION,
        row_group_size=max(1, row_group_size),
        write_statistics=True,
    )


def publish_parquet(
    table: pa.Table,
    path: Path,
    schema_version: int,
    row_group_size: int = 1_000_000,
    sidecar: bool = True,
) -> FileEntry:
    """Publish ``table`` at ``path``; with ``sidecar`` its manifest lands first, beside it.

    The sidecar goes first so a published data file always has its manifest; a crash
    between the two leaves only an orphan sidecar, which compaction removes.
    """
    entry_box: list[FileEntry] = []

    def write(tmp: Path) -> None:
        write_parquet(table, tmp, row_group_size)
        entry = FileEntry(path.name, table.num_rows, tmp.stat().st_size, sha256_file(tmp), schema_version)
        entry_box.append(entry)
        if sidecar:
            publish_json(sidecar_path(path), entry.to_dict())
            faults.checkpoint("publish.after_sidecar")

    publish(path, write)
    return entry_box[0]


def sidecar_path(parquet_path: Path) -> Path:
    return parquet_path.with_name(parquet_path.stem + ".manifest.json")


def read_sidecar(parquet_path: Path) -> FileEntry | None:
    try:
        return FileEntry.from_dict(json.loads(sidecar_path(parquet_path).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
