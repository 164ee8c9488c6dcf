"""One settings object, read from the environment (prefix ``GARDIEN_``)."""

from __future__ import annotations

from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gardien.errors import ConfigurationError

DEFAULT_SECRET = "development-only-secret-change-me"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything configurable; secrets are ``SecretStr`` so they never show in a traceback."""

    model_config = SettingsConfigDict(env_prefix="GARDIEN_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite:///var/gardien.sqlite3"
    policy: Path | None = None
    now: str | None = None
    # Stored xAPI statements name learners as accounts on this home page (pseudonymisation).
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    # Secrets retired from GARDIEN_SECRET_KEY, comma-separated: kept records whose keyed lookup
    # was written under one of them are still found (docs/subject-lookup.md).
    previous_secret_keys: SecretStr | None = None
    # Bearer token of the JSON API (transmissions); unset, the API answers 401 to everyone.
    api_token: SecretStr | None = None
    # xAPI statements about a person gardien does not know: refused (400), or parked for the
    # policy's parked_statements rule.
    xapi_unknown_actors: Literal["refuse", "park"] = "refuse"
    # Sessions end after this long without a request, and at most this long after sign-in.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Have I Been Pwned's k-anonymity range API (only 5 hex digits of a SHA-1 leave); unset,
    # new passwords are checked against the bundled list of breached passwords only.
    pwned_passwords_url: str | None = None
    # How long a web request waits for a lock another writer holds (SQLite's write lock, a
    # PostgreSQL row lock) before it answers 503 with nothing written; commands wait longer.
    write_wait_seconds: float = 2.0

    # Outgoing mail (gardien.mail.smtp): the defaults reach the development sink on loopback.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_ssl: bool = False  # implicit TLS from the first byte (port 465)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 10.0
    mail_from: str = "SEJER <ne-pas-repondre@example.org>"
    # DKIM signing (gardien.mail.dkim): on when all three are set, refused when only some are.
    dkim_domain: str | None = None
    dkim_selector: str | None = None
    dkim_private_key_file: Path | None = None
    # Where the development mail sink (gardien.mail.sink) stores what it receives.
    mail_sink_dir: Path | None = None

    @field_validator(
        "policy",
        "smtp_username",
        "smtp_password",
        "dkim_domain",
        "dkim_selector",
        "dkim_private_key_file",
        "mail_sink_dir",
        "api_token",
        "pwned_passwords_url",
        "previous_secret_keys",
        mode="before",
    )
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def retired_secrets(self) -> list[str]:
        """The retired secrets of ``GARDIEN_PREVIOUS_SECRET_KEYS``, in the order given."""
        if self.previous_secret_keys is None:
            return []
        text = self.previous_secret_keys.get_secret_value()
        return [part.strip() for part in text.split(",") if part.strip()]

    @property
    def dkim_enabled(self) -> bool:
        """Whether outgoing mail is DKIM-signed: domain, selector and key file all set."""
        return None not in (self.dkim_domain, self.dkim_selector, self.dkim_private_key_file)

    def check(self) -> Settings:
        """Refuse settings that cannot be used safely; return self for chaining."""
        if (
            self.environment is Environment.PRODUCTION
            and self.secret_key.get_secret_value() == DEFAULT_SECRET
        ):
            raise ConfigurationError(
                "GARDIEN_SECRET_KEY must be set to a secret of your own in production"
            )
        if self.session_idle_minutes < 1 or self.session_absolute_hours < 1:
            raise ConfigurationError("session timeouts must be positive")
        if not 0 < self.write_wait_seconds <= 60:
            raise ConfigurationError(
                "GARDIEN_WRITE_WAIT_SECONDS must be a number of seconds above 0, at most 60"
            )
        self._check_mail()
        return self

    def _check_mail(self) -> None:
        dkim = {
            "GARDIEN_DKIM_DOMAIN": self.dkim_domain,
            "GARDIEN_DKIM_SELECTOR": self.dkim_selector,
            "GARDIEN_DKIM_PRIVATE_KEY_FILE": self.dkim_private_key_file,
        }
        missing = [name for name, value in dkim.items() if value is None]
        if missing and len(missing) < len(dkim):
            # Half a DKIM configuration would send unsigned mail that the operator believes
            # signed: refuse it rather than guess.
            raise ConfigurationError(
                "DKIM signing needs GARDIEN_DKIM_DOMAIN, GARDIEN_DKIM_SELECTOR and "
                f"GARDIEN_DKIM_PRIVATE_KEY_FILE together; missing: {', '.join(missing)}"
            )
        if self.smtp_ssl and self.smtp_starttls:
            raise ConfigurationError(
                "GARDIEN_SMTP_SSL (implicit TLS) and GARDIEN_SMTP_STARTTLS exclude each other"
            )
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ConfigurationError("GARDIEN_SMTP_USERNAME and GARDIEN_SMTP_PASSWORD go together")
        if "@" not in parseaddr(self.mail_from)[1]:
            raise ConfigurationError("GARDIEN_MAIL_FROM must hold an e-mail address")
        if self.smtp_timeout <= 0:
            raise ConfigurationError("GARDIEN_SMTP_TIMEOUT must be a positive number of seconds")
