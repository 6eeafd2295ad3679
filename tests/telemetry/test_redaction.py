"""Secrets are masked in text and nested values; look-alikes are left alone."""

from __future__ import annotations

import pytest

from pipelines.errors import JoblensError
from pipelines.telemetry.redaction import DEFAULT, MASK, Redactor, is_secret_key, luhn_valid

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aumP0\n"
    "Zq1b4a0XBm9+8QGJqJm1\n-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    "text, kind, secret",
    [
        (f"GET /v1/users Authorization: Bearer {JWT}", "bearer", JWT),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw=='", "bearer", "dXNlcjpwYXNzd29yZDEyMw=="),
        (f"token in cookie: {JWT}", "jwt", JWT),
        ("using key AKIAIOSFODNN7EXAMPLE for s3://bucket", "aws_key", "AKIAIOSFODNN7EXAMPLE"),
        ("maps key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "gcp_key", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
        ("oauth ya29.a0AfH6SMBx3kLqWq7Rz1yZ9eT4kP2sD8fG0hJ", "gcp_token", "ya29.a0AfH6SMBx3kLqWq7Rz1yZ9eT4kP2sD8fG0hJ"),
        (
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
            "azure_key",
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq",
        ),
        ("OPENAI_API_KEY is sk-proj-4fGh7Jk9Lm2Np5Qr8St1Uv3Wx6Yz0AbCdEf", "api_key", "sk-proj-4fGh7Jk9Lm2Np5Qr8St1Uv3Wx6Yz0AbCdEf"),
        ("anthropic sk-ant-api03-Xy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3Ih5Gf", "api_key", "sk-ant-api03-Xy7Zq9Wv2Ut4Sr6Qp8On0Ml1Kj3Ih5Gf"),
        ("pushed with ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU", "api_key", "ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU"),
        (f"loaded {PRIVATE_KEY} from vault", "private_key", "MIIEowIBAAKCAQEA1c7"),
        ("paid with 4111 1111 1111 1111 today", "card", "4111 1111 1111 1111"),
        ("amex 3782-822463-10005 declined", "card", "3782-822463-10005"),
        ("contact jane.doe+billing@example.co.uk about it", "email", "jane.doe+billing@example.co.uk"),
        ("db postgresql://etl:Sup3rS3cret!@db.internal:5432/jobs", "url_password", "Sup3rS3cret!"),
        ("connect failed: password=hunter2; host=db", "assignment", "hunter2"),
        ('{"client_secret": "abc123def456"}', "assignment", "abc123def456"),
    ],
)
def test_secret_values_are_masked(text, kind, secret):
    masked, hit = DEFAULT.text(text)
    assert hit
    assert secret not in masked
    assert f"[REDACTED:{kind}]" in masked


@pytest.mark.parametrize(
    "text",
    [
        "processed 1200 of 4000 rows in 3.2s",
        "run 3fa85f64-5717-4562-b3fc-2c963f66afa6 finished at 2024-05-01T10:00:00Z",
        "content hash e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "order 1234567812345678 shipped",  # 16 digits but fails the Luhn check
        "epoch ms 1718000000000 and ns 1718000000000000000",  # not a card brand
        "call +1 415 555 0132 for support",
        "Basic authentication failed for user bob",
        "Bearer token required",
        "input_tokens=1200 output_tokens=300 max_tokens=4096",
        "image python@sha256:4bb7f4e8a1 and package foo@1.2.3",
        "model gpt-4o-mini-2024-07-18 via https://api.openai.com/v1/chat/completions",
        "the api key rotation is scheduled for Monday",
        "s3 key AKIA is a prefix but AKIA123 is too short",
    ],
)
def test_ordinary_text_is_not_masked(text):
    assert DEFAULT.text(text) == (text, False)


def test_secret_keys_and_their_look_alikes():
    for key in ("password", "DB_PASSWORD", "client_secret", "clientSecret", "access_token", "refreshToken",
                "api_key", "apiKey", "X-Api-Key", "Authorization", "Set-Cookie", "cookies", "private_key",
                "aws_access_key_id", "x-auth-token", "credentials"):
        assert is_secret_key(key), key
    for key in ("input_tokens", "output_tokens", "max_tokens", "token_count", "tokens", "tokenizer",
                "token_type", "key", "primary_key", "monkey", "author", "secretary"):
        assert not is_secret_key(key), key


def test_nested_values_report_masked_paths():
    row = {
        "user": {"email": "bob@example.com", "name": "Bob"},
        "headers": {"Authorization": "Bearer abc.def.ghi123", "Accept": "application/json"},
        "items": [{"card": "5555 5555 5555 4444"}, {"card": "n/a"}],
        "input_tokens": 812,
        "password": "",  # empty values stay visible: nothing to hide
    }
    clean, paths = DEFAULT.value(row)
    assert clean["user"] == {"email": "[REDACTED:email]", "name": "Bob"}
    assert clean["headers"] == {"Authorization": MASK, "Accept": "application/json"}
    assert clean["items"] == [{"card": "[REDACTED:card]"}, {"card": "n/a"}]
    assert clean["input_tokens"] == 812 and clean["password"] == ""
    assert paths == ["user.email", "headers.Authorization", "items.card"]
    assert row["user"]["email"] == "bob@example.com"  # the caller's data is not modified


def test_limit_never_shows_part_of_a_secret():
    text = "x" * 85 + " AKIAIOSFODNN7EXAMPLE trailing"
    out, hit = DEFAULT.text(text, limit=100)
    assert hit and "AKIA" not in out and len(out) == 100 and out.startswith("x" * 85 + " [REDACTED:")
    unterminated = "prefix " + PRIVATE_KEY.split("-----END")[0]
    out, hit = DEFAULT.text(unterminated, limit=40)
    assert out == "prefix [REDACTED:private_key]"
    assert DEFAULT.text("a" * 50, limit=10) == ("a" * 10, False)


def test_extra_patterns_and_keys():
    redactor = Redactor(extra_patterns=(r"\bEMP-\d{6}\b",), extra_keys=("ssn",))
    assert redactor.text("employee EMP-123456 left") == ("employee [REDACTED:custom] left", True)
    assert redactor.value({"customer_ssn": "078-05-1120"}) == ({"customer_ssn": MASK}, ["customer_ssn"])
    assert DEFAULT.text("employee EMP-123456 left")[1] is False


def test_bad_extra_pattern_names_the_setting():
    with pytest.raises(JoblensError, match=r"redact_patterns\[1\]"):
        Redactor(extra_patterns=("ok", "([unclosed"))


def test_luhn():
    assert luhn_valid("4539578763621486") and not luhn_valid("4539578763621487")
