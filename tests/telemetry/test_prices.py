"""The shipped price table is valid, versioned and covers the common models; bad rows fail clearly."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from pipelines.errors import JoblensError
from pipelines.telemetry.prices import BUNDLED, COLUMNS, PRICES_ENV, load_prices, price_for, read_price_rows

HEADER = ",".join(COLUMNS) + "\n"


def test_bundled_table_schema_and_coverage():
    table = load_prices()
    assert table.column_names == list(COLUMNS)
    assert table.schema.field("usd_per_million_tokens").type == pa.float64()
    assert table.schema.field("effective_from").type == pa.date32()
    assert set(table.column("usage_type").to_pylist()) == {"input", "cached_input", "output"}
    assert {"openai", "anthropic", "google", "mistral", "local"} <= set(table.column("provider").to_pylist())
    rows = read_price_rows(BUNDLED)
    day = date(2025, 9, 1)
    for provider, model in [
        ("openai", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-mini"), ("openai", "gpt-4.1"), ("openai", "gpt-4.1-mini"),
        ("openai", "o3"), ("openai", "o4-mini"), ("anthropic", "claude-3-5-sonnet-20241022"),
        ("anthropic", "claude-sonnet-4-20250514"), ("anthropic", "claude-3-5-haiku-20241022"),
        ("anthropic", "claude-opus-4-1-20250805"), ("google", "gemini-1.5-flash-002"), ("google", "gemini-2.0-flash"),
        ("google", "gemini-2.5-pro"), ("mistral", "mistral-small-latest"), ("mistral", "mistral-large-2411"),
        ("local", "llama3.1:8b"),
    ]:
        for usage in ("input", "cached_input", "output"):
            assert price_for(provider, model, usage, day, rows) is not None, (provider, model, usage)
    for provider, model in [("openai", "text-embedding-3-small"), ("openai", "text-embedding-3-large"),
                            ("mistral", "mistral-embed")]:
        assert price_for(provider, model, "input", day, rows).usd_per_million_tokens > 0


def test_longest_pattern_wins_and_price_changes_apply_by_date():
    rows = read_price_rows(BUNDLED)
    mini = price_for("openai", "gpt-4o-mini-2024-07-18", "input", date(2025, 1, 1), rows)
    assert mini.model_pattern == "gpt-4o-mini*" and mini.usd_per_million_tokens == 0.15
    before = price_for("openai", "gpt-4o", "output", date(2024, 10, 1), rows)
    after = price_for("openai", "gpt-4o", "output", date(2024, 10, 2), rows)  # effective_to is exclusive
    assert (before.usd_per_million_tokens, after.usd_per_million_tokens) == (15.0, 10.0)
    assert before.price_version != after.price_version
    assert price_for("openai", "o3", "input", date(2025, 7, 1), rows).usd_per_million_tokens == 2.0
    assert price_for("openai", "o3-mini", "input", date(2025, 7, 1), rows).model_pattern == "o3-mini*"
    assert price_for("local", "anything", "output", date(2025, 7, 1), rows).usd_per_million_tokens == 0.0
    assert price_for("openai", "gpt-4o", "input", date(2020, 1, 1), rows) is None


def test_env_override(tmp_path, monkeypatch):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "acme,acme-1*,input,1.5,2025-01-01,,acme-v1\n")
    monkeypatch.setenv(PRICES_ENV, str(path))
    assert load_prices().to_pylist()[0]["provider"] == "acme"


@pytest.mark.parametrize(
    "body, message",
    [
        ("openai,gpt-x,prompt,1,2025-01-01,,v1\n", r"line 2: field usage_type: 'prompt' is not one of"),
        ("openai,gpt-x,input,cheap,2025-01-01,,v1\n", r"line 2: field usd_per_million_tokens: 'cheap' is not a number"),
        ("openai,gpt-x,input,-1,2025-01-01,,v1\n", r"line 2: field usd_per_million_tokens: -1.0 must be"),
        ("openai,gpt-x,input,1,2025-13-01,,v1\n", r"line 2: field effective_from: '2025-13-01' is not a date"),
        ("openai,gpt-x,input,1,2025-01-01,2024-01-01,v1\n", r"line 2: field effective_to: 2024-01-01 is not after"),
        ("openai,gpt-x,input,1,2025-01-01,,v1\n,gpt-y,input,1,2025-01-01,,v1\n", r"line 3: field provider: must not be empty"),
        ("openai,gpt-x,input,1,2025-01-01,,\n", r"line 2: field price_version: must not be empty"),
        ("openai,gpt-x,input,1\n", r"line 2: field \*: expected 7 columns"),
        (
            "openai,gpt-x,input,1,2025-01-01,,v1\nopenai,gpt-x,input,2,2025-06-01,,v2\n",
            r"field effective_to: openai gpt-x input prices v1 and v2 overlap",
        ),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path, body, message):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + body)
    with pytest.raises(JoblensError, match=message) as info:
        load_prices(path)
    assert str(path) in str(info.value)


def test_bad_header_and_missing_file(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("provider,model,usage_type\n")
    with pytest.raises(JoblensError, match=r"line 1: missing column 'model_pattern'"):
        load_prices(path)
    with pytest.raises(JoblensError, match="cannot read price table"):
        load_prices(tmp_path / "missing.csv")
