"""Documents of the knowledge base: reading a folder of markdown/text, hashing, chunking.

A chunk is a run of whole paragraphs of at most ``max_tokens`` tokens (a paragraph longer
than that is split on sentences, then on words), prefixed by the heading it sits under,
so a retrieved chunk still says what it is about. Token counts come from the one offline
counter JobLens uses everywhere, so the same text always counts the same.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.tokens import count_tokens

SUFFIXES = (".md", ".markdown", ".txt")
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Document:
    path: str  # relative to the corpus folder, with forward slashes: the document's identity
    title: str
    text: str
    content_hash: str


@dataclass(frozen=True)
class Chunk:
    doc_path: str
    seq: int
    heading: str
    text: str
    tokens: int
    content_hash: str


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_documents(folder: Path) -> list[Document]:
    """Every markdown/text document under ``folder``, sorted by path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise JoblensError(f"knowledge folder {folder} does not exist or is not a folder")
    documents = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise JoblensError(f"knowledge document {path}: cannot read as UTF-8 text ({exc})") from None
        text = _FRONT_MATTER.sub("", raw.replace("\r\n", "\n"))
        documents.append(Document(path.relative_to(folder).as_posix(), _title(text, path), text, content_hash(raw)))
    return documents


def _title(text: str, path: Path) -> str:
    for line in text.splitlines():
        match = _HEADING.match(line.strip())
        if match:
            return match.group(2).strip()
        if line.strip():
            return line.strip()[:120]
    return path.stem


def chunk_document(doc: Document, max_tokens: int = 200) -> list[Chunk]:
    """The document as heading-prefixed chunks of at most ``max_tokens`` tokens each."""
    if max_tokens < 16:
        raise JoblensError(f"chunk size {max_tokens} tokens is too small (minimum 16)")
    chunks: list[Chunk] = []
    for heading, paragraphs in _sections(doc.text):
        for body in _pack(paragraphs, max_tokens):
            text = f"{heading}\n\n{body}" if heading else body
            chunks.append(Chunk(doc.path, len(chunks), heading, text, count_tokens(text), content_hash(text)))
    return chunks


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) in document order; code fences stay whole paragraphs."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        match = _HEADING.match(block.splitlines()[0])
        if match:
            sections.append((match.group(2).strip(), []))
            rest = "\n".join(block.splitlines()[1:]).strip()
            if rest:
                sections[-1][1].append(rest)
        else:
            sections[-1][1].append(block)
    return [(h, p) for h, p in sections if p]


def _pack(paragraphs: list[str], max_tokens: int) -> list[str]:
    pieces = [piece for paragraph in paragraphs for piece in _split_long(paragraph, max_tokens)]
    out: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        tokens = count_tokens(piece)
        if current and size + tokens > max_tokens:
            out.append("\n\n".join(current))
            current, size = [], 0
        current.append(piece)
        size += tokens
    if current:
        out.append("\n\n".join(current))
    return out


def _split_long(paragraph: str, max_tokens: int) -> list[str]:
    """A paragraph over the limit, split on sentences, or on words when it is one sentence."""
    if count_tokens(paragraph) <= max_tokens:
        return [paragraph]
    sentences = _SENTENCE.split(paragraph)
    units = sentences if len(sentences) > 1 else paragraph.split()
    if len(units) == 1:
        return [paragraph]  # one enormous word: nothing sensible to split on
    out, current = [], ""
    for unit in units:
        candidate = f"{current} {unit}".strip()
        if current and count_tokens(candidate) > max_tokens:
            out.append(current)
            candidate = unit
        current = candidate
    out.append(current)
    return [part for piece in out for part in _split_long(piece, max_tokens)]
