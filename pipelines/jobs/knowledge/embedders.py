"""Embedders of the knowledge base: an offline hashing vectorizer and OpenAI-compatible endpoints.

``HashingEmbedder`` (the default) needs no network and no model files: each token and
token pair is hashed into one of ``dim`` signed buckets, weighted by log term frequency,
and the vector is L2-normalised. Same text, same vector, on every machine. It is what
makes the demo and the tests run offline; similar texts still land near each other.

``OpenAIEmbedder`` calls ``POST {base_url}/embeddings`` of any OpenAI-compatible server
(OpenAI, Azure, vLLM, Ollama, LiteLLM…) and reports the tokens from the response's
``usage``, which the caller records as model calls.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import time
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from pipelines.errors import JoblensError
from pipelines.jobs.workflows.tokens import count_tokens

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Embeddings:
    vectors: list[list[float]]
    input_tokens: int
    latency_ms: float
    provider: str
    model: str


class Embedder(Protocol):
    provider: str
    model: str
    dim: int

    def embed(self, texts: list[str]) -> Embeddings: ...


class HashingEmbedder:
    """Deterministic offline embeddings: hashed unigrams and bigrams, signed, log-TF, L2-normalised."""

    provider = "local"

    def __init__(self, dim: int = 256):
        if dim < 8:
            raise JoblensError(f"hashing embedder: dim={dim} must be at least 8")
        self.dim = dim
        self.model = f"hashing-{dim}"

    def embed(self, texts: list[str]) -> Embeddings:
        started = time.perf_counter()
        vectors = [self._vector(text) for text in texts]
        latency = (time.perf_counter() - started) * 1000
        return Embeddings(vectors, sum(count_tokens(t) for t in texts), latency, self.provider, self.model)

    def _vector(self, text: str) -> list[float]:
        words = [w.lower() for w in _WORD.findall(text)]
        features = Counter(words + [f"{a} {b}" for a, b in zip(words, words[1:])])
        vector = [0.0] * self.dim
        for feature, count in features.items():
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket, sign = struct.unpack("<IB", digest[:5])
            vector[bucket % self.dim] += (1.0 + math.log(count)) * (1.0 if sign & 1 else -1.0)
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint."""

    provider = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, dim: int = 0,
                 timeout_s: float = 30.0, provider: str = "openai"):
        if not base_url.startswith(("http://", "https://")):
            raise JoblensError(f"embeddings base_url {base_url!r} must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.dim = dim
        self.timeout_s = timeout_s
        self.provider = provider

    def embed(self, texts: list[str]) -> Embeddings:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        started = time.perf_counter()
        response = httpx.post(f"{self.base_url}/embeddings", json={"model": self.model, "input": texts},
                              headers=headers, timeout=self.timeout_s)
        latency = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        body = response.json()
        data = sorted(body.get("data") or [], key=lambda item: item.get("index", 0))
        if len(data) != len(texts):
            raise JoblensError(f"embeddings endpoint {self.base_url}: {len(data)} vectors for {len(texts)} inputs")
        usage = body.get("usage") or {}
        tokens = int(usage.get("prompt_tokens") or usage.get("total_tokens") or sum(count_tokens(t) for t in texts))
        return Embeddings([list(map(float, item["embedding"])) for item in data], tokens, latency,
                           self.provider, body.get("model") or self.model)


def make_embedder(kind: str, dim: int = 256, base_url: str | None = None, model: str | None = None,
                  api_key: str | None = None) -> Embedder:
    """The embedder a knowledge job's config names: ``hashing`` (offline) or ``openai``."""
    if kind == "hashing":
        return HashingEmbedder(dim)
    if kind == "openai":
        if not base_url or not model:
            raise JoblensError("embedder 'openai' needs base_url and model (config or JOBLENS_EMBEDDINGS_* env)")
        return OpenAIEmbedder(base_url, model, api_key)
    raise JoblensError(f"unknown embedder {kind!r}; embedders are: hashing, openai")
