"""Failures are classified into the twelve documented codes; users extend the rules."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from pipelines.errors import JoblensError
from pipelines.telemetry import taxonomy
from pipelines.telemetry.taxonomy import (
    ERROR_CODES, Classifier, classify, classify_exception, error_codes_table, load_rules,
)

CODES = ["timeout", "rate_limit", "authentication", "network", "upstream_5xx", "data_validation",
         "resource_exhausted", "dependency_missing", "budget_exceeded", "cancelled", "code_defect", "unknown"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_codes_are_complete_and_documented():
    assert list(ERROR_CODES) == CODES
    text = DOCS.read_text()
    for code in ERROR_CODES.values():
        assert code.doc_url == f"docs/errors.md#{code.code}"
        assert re.search(rf"^## {code.code}$", text, re.MULTILINE), code.code
        assert code.remediation in text
        assert len(code.remediation) > 120 and code.title
    transient = {c.code for c in ERROR_CODES.values() if c.transient}
    assert transient == {"timeout", "rate_limit", "network", "upstream_5xx"}


def test_error_codes_table():
    table = error_codes_table()
    assert table.column_names == ["code", "title", "transient", "remediation", "doc_url"]
    assert table.column("code").to_pylist() == CODES
    assert table.num_rows == 12


@pytest.mark.parametrize(
    "error_class, message, code",
    [
        ("httpx.ReadTimeout", "The read operation timed out", "timeout"),
        ("openai.APITimeoutError", "Request timed out.", "timeout"),
        ("RuntimeError", "deadline exceeded while waiting for batch 7", "timeout"),
        ("openai.RateLimitError", "Error code: 429 - Rate limit reached for gpt-4o-mini", "rate_limit"),
        ("ValueError", "HTTP 429 Too Many Requests", "rate_limit"),
        ("anthropic.AuthenticationError", "Error code: 401 - invalid x-api-key", "authentication"),
        ("httpx.HTTPStatusError", "Client error '403 Forbidden' for url 'https://x/y'", "authentication"),
        ("httpx.ConnectError", "[Errno 111] Connection refused", "network"),
        ("OSError", "[Errno -3] Temporary failure in name resolution", "network"),
        ("openai.InternalServerError", "Error code: 500", "upstream_5xx"),
        ("httpx.HTTPStatusError", "Server error '503 Service Unavailable' for url 'https://x'", "upstream_5xx"),
        ("anthropic.APIStatusError", "Overloaded", "upstream_5xx"),
        ("pydantic_core.ValidationError", "1 validation error for Invoice", "data_validation"),
        ("dagster._core.errors.DagsterTypeCheckDidNotPass", "Type check failed for step output", "data_validation"),
        ("MemoryError", "", "resource_exhausted"),
        ("OSError", "[Errno 28] No space left on device: '/data/out.parquet'", "resource_exhausted"),
        ("ModuleNotFoundError", "No module named 'sentence_transformers'", "dependency_missing"),
        ("FileNotFoundError", "[Errno 2] No such file or directory: 'in.csv'", "dependency_missing"),
        ("joblens.BudgetExceededError", "team ml spent 101 USD", "budget_exceeded"),
        ("RuntimeError", "token budget exceeded for run 12", "budget_exceeded"),
        ("dagster._core.errors.DagsterExecutionInterruptedError", "", "cancelled"),
        ("KeyError", "'customer_id'", "code_defect"),
        ("KeyError", "'timeout'", "code_defect"),  # by class, whatever the message says
        ("TypeError", "unsupported operand type(s) for +: 'int' and 'str'", "code_defect"),
        ("ValueError", "too many values to unpack (expected 2)", "code_defect"),
        ("ValueError", "could not convert string to float: 'n/a'", "data_validation"),
        ("mylib.Oops", "something odd", "unknown"),
    ],
)
def test_classify_by_class_and_message(error_class, message, code):
    assert classify(error_class, message).code == code


class ProviderTimeout(TimeoutError):
    pass


def test_classify_exception_uses_bases_and_causes():
    assert classify_exception(ProviderTimeout("slow")).code == "timeout"
    assert classify_exception(asyncio.CancelledError()).code == "cancelled"
    assert classify_exception(ConnectionResetError("peer")).code == "network"
    try:
        try:
            raise ProviderTimeout("upstream")
        except ProviderTimeout as exc:
            raise RuntimeError("step failed") from exc
    except RuntimeError as wrapped:
        assert classify_exception(wrapped).code == "timeout"
    try:
        try:
            raise ProviderTimeout("upstream")
        except ProviderTimeout:
            {}["missing"]  # a bug in the handler is the handler's defect
    except KeyError as bug:
        assert classify_exception(bug).code == "code_defect"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    return path


def test_user_rules_come_first(tmp_path, monkeypatch):
    path = write(tmp_path, """
rules:
  - code: rate_limit
    class: QuotaExceeded
  - code: data_validation
    message: "row \\\\d+ has no customer id"
  - code: upstream_5xx
    class: KeyError
    message: "upstream"
""")
    assert classify("billing.QuotaExceeded", "").code == "unknown"
    monkeypatch.setenv(taxonomy.RULES_ENV, str(path))
    assert classify("billing.QuotaExceeded", "").code == "rate_limit"
    assert classify("RuntimeError", "row 17 has no customer id").code == "data_validation"
    assert classify("KeyError", "'upstream'").code == "upstream_5xx"
    assert classify("KeyError", "'other'").code == "code_defect"  # built-ins still apply after
    assert Classifier.from_file(path).classify("QuotaExceeded", "").code == "rate_limit"


@pytest.mark.parametrize(
    "text, field",
    [
        ("rules: [", "not valid YAML"),
        ("rules: {}", "field 'rules' must be a list"),
        ("rule: []", "field 'rules' must be a list"),
        ("rules: []\nextra: 1", "unknown field 'extra'"),
        ("rules:\n  - code: slow\n    class: X", r"rules\[0\]\.code: unknown error code 'slow'"),
        ("rules:\n  - code: timeout\n    class: X\n  - code: timeout", r"rules\[1\]: needs 'class' or 'message'"),
        ("rules:\n  - code: timeout\n    message: '([bad'", r"rules\[0\]\.message: invalid regular expression"),
        ("rules:\n  - code: timeout\n    klass: X", r"rules\[0\]\.klass: unknown field"),
        ("rules:\n  - code: timeout\n    class: 3", r"rules\[0\]\.class: must be a non-empty string"),
        ("rules:\n  - timeout", r"rules\[0\]: must be a mapping"),
    ],
)
def test_malformed_rules_name_file_and_field(tmp_path, text, field):
    path = write(tmp_path, text)
    with pytest.raises(JoblensError, match=field) as info:
        load_rules(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_rules_file_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv(taxonomy.RULES_ENV, str(tmp_path / "nope.yaml"))
    with pytest.raises(JoblensError, match="nope.yaml"):
        classify("X", "y")
