"""The offline model provider ``local``: deterministic extractive summaries and classification.

No network and no randomness: the same text always gives the same summary, label,
vector and token counts, so the demo and the tests need nothing outside the machine.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

CHAT_MODEL = "local-extractive-v1"
EMBEDDING_MODEL = "local-hashing-v1"
EMBEDDING_DIMENSIONS = 64

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_WORD = re.compile(r"[a-z0-9']+")
_STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have he her his i if in into is it its"
    " me my no not of on or our she so than that the their them then there these they this to was we were what when"
    " which who will with would you your".split()
)


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]


def summarize(text: str, count: int = 3) -> str:
    """The ``count`` sentences carrying the text's most frequent words, in their original order."""
    parts = sentences(text)
    if len(parts) <= count:
        return " ".join(parts)
    frequency = Counter(words(text))
    scored = []
    for index, sentence in enumerate(parts):
        terms = words(sentence)
        score = sum(frequency[t] for t in terms) / math.sqrt(len(terms)) if terms else 0.0
        scored.append((-score, index))
    chosen = sorted(index for _, index in sorted(scored)[:count])
    return " ".join(parts[i] for i in chosen)


def classify(text: str, labels: list[str], keywords: dict | None = None) -> dict:
    """The label whose name and keywords occur most often; no match → the last label (the catch-all)."""
    counts = Counter(words(text))
    scores = {}
    for label in labels:
        terms = set(words(label.replace("_", " ")))
        terms.update(w for phrase in (keywords or {}).get(label, []) for w in words(str(phrase)))
        scores[label] = sum(counts[t] for t in terms)
    best = max(labels, key=lambda label: (scores[label], -labels.index(label)))
    if scores[best] == 0:
        best = labels[-1]
    total = sum(scores.values())
    confidence = round(scores[best] / total, 3) if total else 0.0
    return {"label": best, "scores": scores, "confidence": confidence}


def embed(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A unit-length hashing-trick vector of the text's words."""
    vector = [0.0] * dimensions
    for word in words(text):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "little") % dimensions
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    return [round(v / norm, 6) for v in vector] if norm else vector
