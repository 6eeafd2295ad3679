"""The versioned model price table that usage is priced against at query time.

``model_calls`` stores tokens, never cost, so history can be re-priced: a price change is
a new row with a later ``effective_from`` and the old row closed by ``effective_to``
(exclusive). A model matches the glob ``model_pattern`` of its provider; when several
patterns match, the longest wins (``gpt-4o-mini*`` over ``gpt-4o*``). Prices are USD per
million tokens of each usage type: ``input``, ``cached_input`` (prompt tokens served from
the provider's cache; for providers without a discount it equals ``input``) and
``output``. Embedding models have an ``input`` price only. Provider ``local`` is free.

The table ships as ``pipelines/telemetry/prices.csv``; ``$JOBLENS_PRICES`` names another.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

import pyarrow as pa

from pipelines.errors import JoblensError

PRICES_ENV = "JOBLENS_PRICES"
BUNDLED = Path(__file__).with_name("prices.csv")
USAGE_TYPES = ("input", "cached_input", "output")
COLUMNS = (
    "provider", "model_pattern", "usage_type", "usd_per_million_tokens",
    "effective_from", "effective_to", "price_version",
)
SCHEMA = pa.schema(
    [
        pa.field("provider", pa.string(), nullable=False),
        pa.field("model_pattern", pa.string(), nullable=False),
        pa.field("usage_type", pa.string(), nullable=False),
        pa.field("usd_per_million_tokens", pa.float64(), nullable=False),
        pa.field("effective_from", pa.date32(), nullable=False),
        pa.field("effective_to", pa.date32()),
        pa.field("price_version", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Price:
    provider: str
    model_pattern: str
    usage_type: str
    usd_per_million_tokens: float
    effective_from: date
    effective_to: date | None
    price_version: str

    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


def prices_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The given file, else ``$JOBLENS_PRICES`` (read at call time), else the bundled table."""
    return Path(path or os.environ.get(PRICES_ENV) or BUNDLED)


def load_prices(path: str | os.PathLike[str] | None = None) -> pa.Table:
    """The validated price table; a bad row is a JoblensError naming file, line and field."""
    rows = read_price_rows(prices_path(path))
    return pa.Table.from_pylist([vars(row) for row in rows], schema=SCHEMA)


def read_price_rows(path: Path) -> list[Price]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            if header != COLUMNS:
                missing = [c for c in COLUMNS if c not in header]
                extra = [c for c in header if c not in COLUMNS]
                what = f"missing column {missing[0]!r}" if missing else f"unknown column {extra[0]!r}" if extra else "columns out of order"
                raise JoblensError(f"{path}: line 1: {what}; expected {','.join(COLUMNS)}")
            rows = [_parse_row(path, reader.line_num, raw) for raw in reader]
    except OSError as exc:
        raise JoblensError(f"{path}: cannot read price table: {exc.strerror}") from None
    _check_overlaps(path, rows)
    return rows


def _parse_row(path: Path, line: int, raw: dict) -> Price:
    def fail(field: str, why: str) -> JoblensError:
        return JoblensError(f"{path}: line {line}: field {field}: {why}")

    if None in raw or any(raw.get(c) is None for c in COLUMNS):
        raise fail("*", f"expected {len(COLUMNS)} columns")
    values = {k: (v or "").strip() for k, v in raw.items()}
    for field in ("provider", "model_pattern", "price_version"):
        if not values[field]:
            raise fail(field, "must not be empty")
    if values["usage_type"] not in USAGE_TYPES:
        raise fail("usage_type", f"{values['usage_type']!r} is not one of {', '.join(USAGE_TYPES)}")
    try:
        price = float(values["usd_per_million_tokens"])
    except ValueError:
        raise fail("usd_per_million_tokens", f"{values['usd_per_million_tokens']!r} is not a number") from None
    if not math.isfinite(price) or price < 0:
        raise fail("usd_per_million_tokens", f"{price} must be a finite number >= 0")
    start = _date(values["effective_from"], lambda why: fail("effective_from", why))
    end = _date(values["effective_to"], lambda why: fail("effective_to", why)) if values["effective_to"] else None
    if end is not None and end <= start:
        raise fail("effective_to", f"{end} is not after effective_from {start}")
    return Price(values["provider"], values["model_pattern"], values["usage_type"], price, start, end, values["price_version"])


def _date(text: str, fail) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _check_overlaps(path: Path, rows: list[Price]) -> None:
    """Two prices for the same model and usage type must not be in force on the same day."""
    by_key: dict[tuple[str, str, str], list[Price]] = {}
    for row in rows:
        by_key.setdefault((row.provider, row.model_pattern, row.usage_type), []).append(row)
    for (provider, pattern, usage), group in by_key.items():
        group.sort(key=lambda p: p.effective_from)
        for before, after in zip(group, group[1:]):
            if before.effective_to is None or before.effective_to > after.effective_from:
                raise JoblensError(
                    f"{path}: field effective_to: {provider} {pattern} {usage} prices "
                    f"{before.price_version} and {after.price_version} overlap from {after.effective_from}"
                )


def price_for(provider: str, model: str, usage_type: str, day: date, prices: list[Price] | None = None) -> Price | None:
    """The price in force for ``model`` on ``day``: the longest matching pattern wins."""
    rows = prices if prices is not None else read_price_rows(prices_path())
    matches = [
        p for p in rows
        if p.provider == provider and p.usage_type == usage_type and p.active_on(day) and fnmatchcase(model, p.model_pattern)
    ]
    return max(matches, key=lambda p: len(p.model_pattern), default=None)
