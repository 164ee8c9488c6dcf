"""Production refuses a secret key not worth 32 random bytes; generated keys always pass."""

from __future__ import annotations

import base64
import os
import secrets

import pytest

from gardien.errors import ConfigurationError
from gardien.settings import (
    DEFAULT_SECRET,
    SECRET_DEFAULT,
    SECRET_EMPTY,
    SECRET_LOW_VARIETY,
    SECRET_MISSING,
    SECRET_NOT_GENERATED,
    SECRET_SHORT,
    Environment,
    Settings,
    load_settings,
    secret_weakness,
)

STRONG = "gudcDShL5ac5hxCD54Zins-diOArbqoYkxhaM6dJ5JU"  # secrets.token_urlsafe(32)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("GARDIEN_") and not name.upper().startswith("GARDIEN_TEST_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", SECRET_EMPTY),
        (DEFAULT_SECRET, SECRET_DEFAULT),
        ("x", SECRET_SHORT),
        ("a-production-secret-for-this-test", SECRET_SHORT),
        (secrets.token_hex(32)[:63], SECRET_SHORT),  # 63 hex digits: 31.5 bytes
        (secrets.token_hex(24), SECRET_SHORT),
        ("Ab" + secrets.token_urlsafe(32)[:40], SECRET_SHORT),  # 42 characters of base64url
        ("a" * 64, SECRET_LOW_VARIETY),
        ("ab" * 40, SECRET_LOW_VARIETY),  # hex digits, but two of them
        ("0123456789abcdef" * 4, SECRET_LOW_VARIETY),  # every hex digit, a repeated run
        ("Password1" * 6, SECRET_LOW_VARIETY),  # a repeated word
        ("CorrectHorseBatteryStaple" * 2, SECRET_LOW_VARIETY),
        ("a-production-secret-for-this-test-0123456789-and-more", SECRET_LOW_VARIETY),
        ("correct horse battery staple, and many more words", SECRET_NOT_GENERATED),
        ("é" * 50, SECRET_NOT_GENERATED),
        (STRONG + "===", SECRET_NOT_GENERATED),  # more padding than base64 has
    ],
)
def test_a_weak_secret_is_refused_with_its_reason(value: str, reason: str) -> None:
    assert secret_weakness(value) == reason


def test_generated_keys_always_pass() -> None:
    # False refusals have a chance below 1e-8 each (docs/configuration.md): 4,000 keys of each
    # generator would show a rule that refuses random keys, and never fail by chance.
    generated = [
        generate()
        for generate in (
            lambda: secrets.token_hex(32),
            lambda: secrets.token_hex(32).upper(),
            lambda: secrets.token_urlsafe(32),
            lambda: base64.b64encode(os.urandom(32)).decode(),  # openssl rand -base64 32
            lambda: secrets.token_urlsafe(64),
        )
        for _ in range(4000)
    ]
    assert [key for key in generated if secret_weakness(key) is not None] == []


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "GARDIEN_SECRET_KEY is not set;"),
        ("", "GARDIEN_SECRET_KEY is empty;"),
        (DEFAULT_SECRET, "GARDIEN_SECRET_KEY is the development default"),
        ("hunter2-hunter2", "GARDIEN_SECRET_KEY is shorter than 32 random bytes"),
        ("Hunter2" * 8, "GARDIEN_SECRET_KEY is not random enough"),
    ],
)
def test_production_refuses_a_weak_secret_in_one_line(
    monkeypatch: pytest.MonkeyPatch, secret: str | None, says: str
) -> None:
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "production")
    if secret is not None:
        monkeypatch.setenv("GARDIEN_SECRET_KEY", secret)
    with pytest.raises(ConfigurationError) as caught:
        load_settings().check()
    message = str(caught.value)
    assert message.startswith(says)
    assert "\n" not in message
    assert "secrets.token_urlsafe(32)" in message  # how to make a good one
    if secret:
        assert secret not in message
    assert caught.value.exit_code == 2


def test_production_accepts_a_generated_key() -> None:
    settings = Settings(environment=Environment.PRODUCTION, secret_key=STRONG).check()
    assert settings.secret_key_problem is None


@pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
def test_outside_production_the_development_key_is_fine(environment: Environment) -> None:
    settings = Settings(environment=environment).check()
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET
    assert settings.secret_key_problem == SECRET_MISSING  # what check-config would say


@pytest.mark.parametrize("environment", list(Environment))
def test_the_current_secret_cannot_be_listed_as_retired(environment: Environment) -> None:
    settings = Settings(
        environment=environment,
        secret_key=STRONG,
        previous_secret_keys=f"an-older-secret, {STRONG}",
    )
    with pytest.raises(ConfigurationError) as caught:
        settings.check()
    assert str(caught.value).startswith(
        "GARDIEN_PREVIOUS_SECRET_KEYS holds the current GARDIEN_SECRET_KEY"
    )
    assert STRONG not in str(caught.value)


def test_a_setting_that_cannot_be_read_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GARDIEN_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert str(caught.value).startswith("GARDIEN_SMTP_PORT: ")
    assert "twenty-five" not in str(caught.value)  # a value may be a secret: never repeated
    monkeypatch.setenv("GARDIEN_SMTP_PORT", "25")
    monkeypatch.setenv("GARDIEN_ENVIRONMENT", "Production")
    with pytest.raises(ConfigurationError, match=r"^GARDIEN_ENVIRONMENT: .*'production'"):
        load_settings()
