"""Secrets and personal data are masked before any telemetry record is written.

Two kinds of rule apply. A *key* rule masks the whole value of a field whose name says it
holds a secret (``password``, ``client_secret``, ``access_token``, ``X-Api-Key``,
``Authorization``, ``Set-Cookie`` …) while leaving look-alikes such as ``input_tokens`` or
``max_tokens`` alone. A *value* rule masks the part of any text that looks like a secret
whatever its field is called: bearer tokens, cloud and AI-provider keys, private key
blocks, Luhn-valid card numbers and e-mail addresses. Users add their own value patterns.

``Redactor.text`` and ``Redactor.value`` return what to write plus whether (or where)
something was masked, so rows can record their ``redacted_fields``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from pipelines.errors import JoblensError

MASK = "[REDACTED]"

# Words that make a field secret wherever they appear in its name.
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "passphrase", "secret", "secrets", "apikey", "authorization",
        "cookie", "cookies", "credential", "credentials", "privatekey", "sessionid", "dsn",
    }
)
# Words that make a field secret only as the last word: ``access_token`` but not ``token_count``.
_SECRET_LAST_WORDS = frozenset({"token", "auth", "sig", "signature"})
# Adjacent word pairs: ``api_key``, ``private-key``, ``access_key_id``, ``secret_key``.
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("account", "key"), ("signing", "key")})

_WORD_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")

# Value patterns, in the order they are tried at one position, each with the lower-case
# substrings one of which must occur for it to be tried at all: most log lines contain
# none, so the common case costs a few substring tests instead of a regex scan.
# ``card`` matches are confirmed by a Luhn check.
_VALUE_PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "private_key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.*?-----END[A-Z ]*PRIVATE KEY-----|.*\Z)",
        ("private key",),
    ),
    (
        "assignment",
        r"(?P<akey>\b(?i:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s\"',;&}]+",
        ("pass", "pwd", "secret", "key", "token"),
    ),
    (
        "bearer",
        r"\b(?i:bearer|basic)\s+(?:(?=[\w\-.~+/]*\d)[\w\-.~+/]{8,}|[\w\-.~+/]{20,})=*",
        ("bearer", "basic"),
    ),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyj",)),
    ("aws_key", r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[0-9A-Z]{16}\b", ("akia", "asia", "abia", "acca", "aida", "aroa")),
    ("gcp_key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", ("aiza",)),
    ("gcp_token", r"\bya29\.[0-9A-Za-z_-]{20,}", ("ya29.",)),
    ("azure_key", r"\b(?:AccountKey|SharedAccessKey|sig)=[A-Za-z0-9%+/]{20,}={0,2}", ("key=", "sig=")),
    (
        "api_key",
        r"\b(?:sk-(?:ant-|proj-|svcacct-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{36,}"
        r"|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,})",
        ("sk-", "gh", "xox"),
    ),
    ("url_password", r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)", ("://",)),
    ("email", r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b", ("@",)),
    ("card", r"(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d-])", ()),
)
_DIGIT_RUN = re.compile(r"\d{4}")
# Values that cannot hold a secret are returned without a scan.
_SCALARS = frozenset({int, float, bool, type(None)})
_CACHED_LENGTH = 160
_CACHE_ENTRIES = 8192
_SHORTEST_SECRET = 6  # "a@b.io"; every other pattern needs more characters
_TRIGGERS = tuple((trigger, name) for name, _, triggers in _VALUE_PATTERNS for trigger in triggers)
_ORDER = {name: index for index, (name, _, _) in enumerate(_VALUE_PATTERNS)}

# Card brands (by leading digits) whose numbers are masked; other Luhn-valid digit runs
# (timestamps, order ids) are left alone.
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|65|62)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_card(candidate: str) -> bool:
    digits = candidate.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_valid(digits)


def key_words(key: str) -> list[str]:
    """``X-Api-Key`` → ``['x', 'api', 'key']``; ``clientSecret`` → ``['client', 'secret']``."""
    return [w.lower() for w in _WORD_SPLIT.split(key) if w]


def is_secret_key(key: str, extra_words: frozenset[str] = frozenset()) -> bool:
    words = key_words(key)
    if not words:
        return False
    if words[-1] in _SECRET_LAST_WORDS or words[-1] in extra_words:
        return True
    if any(w in _SECRET_WORDS or w in extra_words for w in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in zip(words, words[1:]))


@dataclass
class Redactor:
    """Masks secrets in text and nested values; ``extra_patterns`` are user regexes."""

    extra_patterns: tuple[str, ...] = ()
    extra_keys: tuple[str, ...] = ()
    _key_cache: dict[str, bool] = field(init=False, repr=False, default_factory=dict)
    _text_cache: dict[str, tuple[str, bool]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._custom = []
        for index, regex in enumerate(self.extra_patterns):
            try:
                re.compile(regex)
            except re.error as exc:
                raise JoblensError(f"redact_patterns[{index}]: invalid regular expression {regex!r}: {exc}") from None
            self._custom.append(f"(?P<custom{index}>{regex})")
        self._patterns: dict[tuple[str, ...], re.Pattern | None] = {}
        self._extra_words = frozenset(w for key in self.extra_keys for w in key_words(key))

    def secret_key(self, key: str) -> bool:
        cached = self._key_cache.get(key)
        if cached is None:
            cached = self._key_cache[key] = is_secret_key(key, self._extra_words)
        return cached

    def text(self, text: str, limit: int | None = None) -> tuple[str, bool]:
        """``text`` with secrets masked, and whether anything was.

        With ``limit``, only the first ``limit`` characters are returned; a secret that
        starts inside them is masked whole even if it runs past the limit, so a cut never
        leaves part of a secret visible.
        """
        if len(text) <= _CACHED_LENGTH and (limit is None or len(text) <= limit):
            # Log messages and field values repeat: remember the answer for short texts.
            known = self._text_cache.get(text)
            if known is None:
                if len(self._text_cache) >= _CACHE_ENTRIES:
                    self._text_cache.clear()
                known = self._text_cache[text] = self._mask(text, None)
            return known
        return self._mask(text, limit)

    def _mask(self, text: str, limit: int | None) -> tuple[str, bool]:
        window = text if limit is None else text[: limit + 1024]
        if limit is not None and len(text) > limit + 1024 and "PRIVATE KEY-----" in text[limit:]:
            window = text  # a key block may start in the window and end far beyond it
        out: list[str] = []
        last = 0
        masked = False
        pattern = self._pattern_for(window)
        if pattern is None:
            return (text if limit is None else text[:limit]), False
        for match in pattern.finditer(window):
            start = match.start()
            if limit is not None and start >= limit:
                break
            kind = match.lastgroup or "custom"
            if kind == "card" and not _is_card(match.group()):
                continue
            if kind == "assignment":
                start = match.end("akey")  # keep ``password=`` so the message still reads
            out.append(window[last:start])
            out.append(f"[REDACTED:{'custom' if kind.startswith('custom') else kind}]")
            last = match.end()
            masked = True
        if not masked:
            return (text if limit is None else text[:limit]), False
        if limit is None:
            out.append(window[last:])
            return "".join(out), True
        out.append(window[last:max(last, limit)])
        return "".join(out)[:limit], True  # masks are longer than what they hide: cut again

    def _pattern_for(self, text: str) -> re.Pattern | None:
        """One regex of the value patterns this text could match (None: it can match none)."""
        low = text.lower()
        found = {name for trigger, name in _TRIGGERS if trigger in low}
        if _DIGIT_RUN.search(text):
            found.add("card")
        names = tuple(sorted(found, key=_ORDER.__getitem__))
        try:
            return self._patterns[names]
        except KeyError:
            regexes = {name: regex for name, regex, _ in _VALUE_PATTERNS}
            parts = [f"(?P<{name}>{regexes[name]})" for name in names] + self._custom
            compiled = re.compile("|".join(parts), re.DOTALL) if parts else None
            self._patterns[names] = compiled
            return compiled

    def value(self, value: Any, path: str = "", limit: int | None = None) -> tuple[Any, list[str]]:
        """A copy of ``value`` (dicts, lists, scalars) with secrets masked, and the masked paths.

        Paths are dotted field names without list indices (``user.email``); text found at
        the top level is reported under ``path`` (``value`` when empty).
        """
        hits: list[str] = []
        clean = self._walk(value, path, limit, hits)
        return clean, list(dict.fromkeys(hits))

    def _walk(self, value: Any, path: str, limit: int | None, hits: list[str]) -> Any:
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is str or isinstance(value, str):
            if len(value) < _SHORTEST_SECRET:
                return value
            cleaned, masked = self.text(value, limit)
            if masked:
                hits.append(path or "value")
            return cleaned
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                name = key if type(key) is str else str(key)
                if self.secret_key(name) and item not in (None, ""):
                    out[name] = MASK
                    hits.append(f"{path}.{name}" if path else name)
                else:
                    out[name] = self._walk(item, f"{path}.{name}" if path else name, limit, hits)
            return out
        if isinstance(value, (list, tuple)):
            return [self._walk(item, path, limit, hits) for item in value]
        return value


def redactor(extra_patterns: Iterable[str] = (), extra_keys: Iterable[str] = ()) -> Redactor:
    return Redactor(tuple(extra_patterns), tuple(extra_keys))


DEFAULT = Redactor()
