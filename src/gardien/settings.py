"""One settings object, read from the environment (prefix ``GARDIEN_``).

In production the secret key must be worth 32 random bytes (:func:`secret_weakness` says how
that is judged); every command refuses to run otherwise (docs/configuration.md).
"""

from __future__ import annotations

import string
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gardien.errors import ConfigurationError

DEFAULT_SECRET = "development-only-secret-change-me"
GENERATE_SECRET = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def N_(message: str) -> str:
    """Mark ``message`` for the gettext catalogue; ``gardien check-config`` translates it."""
    return message


# Why a secret is refused: English sentences, which are also the msgids of the French catalogue.
SECRET_MISSING = N_("not set")
SECRET_EMPTY = N_("empty")
SECRET_DEFAULT = N_("the development default, which is published with the code")
SECRET_NOT_GENERATED = N_(
    "not a generated key: give 64 hex digits or at least 43 characters of base64url"
)
SECRET_SHORT = N_(
    "shorter than 32 random bytes: give 64 hex digits or at least 43 characters of base64url"
)
SECRET_LOW_VARIETY = N_(
    "not random enough: letters of one case only, few different characters or a repeated sequence"
)

_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_")
HEX_DIGITS = 64  # 64 x 4 bits = 32 bytes
BASE64_CHARACTERS = 43  # 43 x 6 bits = 258 bits >= 32 bytes
# A random key of that length shows at least this many different characters and no run of
# REPEAT_WINDOW characters twice, except with a chance below 1e-8 (docs/configuration.md gives
# the arithmetic); a repeated word or "aaaa..." never passes.
HEX_DISTINCT = 10
BASE64_DISTINCT = 16
REPEAT_WINDOW = 10


def secret_weakness(value: str) -> str | None:
    """Why ``value`` is not worth 32 random bytes, or None when it is.

    Only generated keys pass: at least 64 hex digits, or at least 43 characters of base64 or
    base64url (padding aside) mixing both letter cases; then a crude test of randomness refuses
    few different characters and any run of :data:`REPEAT_WINDOW` characters seen twice. A
    passphrase, however long, is refused: it is not random, and nobody has to remember this key.
    """
    if value == "":
        return SECRET_EMPTY
    if value == DEFAULT_SECRET:
        return SECRET_DEFAULT
    if set(value) <= _HEX:
        text, length, distinct = value.lower(), HEX_DIGITS, HEX_DISTINCT
    else:
        text = value.rstrip("=")
        if not set(text) <= _BASE64 or len(value) - len(text) > 2:
            return SECRET_NOT_GENERATED
        length, distinct = BASE64_CHARACTERS, BASE64_DISTINCT
        if text.lower() == text or text.upper() == text:
            return SECRET_LOW_VARIETY if len(text) >= length else SECRET_SHORT
    if len(text) < length:
        return SECRET_SHORT
    if len(set(text)) < distinct or _repeats(text, REPEAT_WINDOW):
        return SECRET_LOW_VARIETY
    return None


def _repeats(text: str, width: int) -> bool:
    seen: set[str] = set()
    for start in range(len(text) - width + 1):
        run = text[start : start + width]
        if run in seen:
            return True
        seen.add(run)
    return False


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


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
    # No longer used (statements about people gardien does not know are stored under keyed
    # pseudonyms, docs/xapi.md): read only so that `gardien check-config` can say so.
    xapi_unknown_actors: str | None = None
    # Sessions end after this long without a request, and at most this long after sign-in.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # How long the download link sent to answer an access request (from the DPO console) stays
    # valid; it works once (services/request_actions.py).
    export_link_days: int = Field(default=7, ge=1, le=90)
    # Have I Been Pwned's k-anonymity range API (only 5 hex digits of a SHA-1 leave); unset,
    # new passwords are checked against the bundled list of breached passwords only.
    pwned_passwords_url: str | None = None
    # How long a web request waits for a lock another writer holds (SQLite's write lock, a
    # PostgreSQL row lock) before it answers 503 with nothing written; commands wait longer.
    write_wait_seconds: float = 2.0

    # PostgreSQL as a managed service serves it (OVHcloud; docs/postgresql.md). The CA that
    # signed the server's certificate (libpq's sslrootcert; with it, sslmode=verify-full unless
    # the URL says otherwise). Pool and statement timeout: the web server's engine only, per
    # worker process (commands keep SQLAlchemy's pool and no statement timeout: a sweep batch
    # or an import may rightly run long). A statement timeout of 0 sets no limit.
    database_ca_file: Path | None = None
    database_pool_size: int = Field(default=5, ge=1, le=200)
    database_max_overflow: int = Field(default=5, ge=0, le=200)
    database_statement_timeout_seconds: float = Field(default=30.0, ge=0, le=3600)

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

    # Attachment content (xAPI attachments, store/blobs.py): files under this folder (default:
    # "blobs" beside the SQLite database, else var/blobs), or an S3-compatible bucket when
    # GARDIEN_BLOB_S3_BUCKET is set (endpoint and region of the provider, e.g. OVHcloud's).
    blob_dir: Path | None = None
    blob_s3_endpoint: str | None = None
    blob_s3_region: str | None = None
    blob_s3_bucket: str | None = None
    blob_s3_access_key: str | None = None
    blob_s3_secret_key: SecretStr | None = None

    # Observability (docs/observability.md). Logs: one JSON object per line ("json") or plain
    # lines ("text"); unset, JSON in production and text elsewhere. The level applies to
    # gardien's loggers and uvicorn's. /metrics: with a token, only a Bearer of it may read;
    # without one it is open outside production and off (404) in production.
    log_format: LogFormat | None = None
    log_level: LogLevel = LogLevel.INFO
    metrics_token: SecretStr | None = None
    # Backups and the erasure ledger (docs/backups.md). Backups: encrypted copies of the SQLite
    # database in a folder (default: "backups" beside the database) or an S3-compatible bucket;
    # encrypted under GARDIEN_BACKUP_KEY, else under a key derived from GARDIEN_SECRET_KEY.
    # The ledger: every erasure, outside the database (default: "erasure-ledger" beside it),
    # or in an S3-compatible bucket. Both buckets are reached with the GARDIEN_OFFSITE_S3_*
    # settings (endpoint, region and keys of the provider, e.g. OVHcloud Object Storage).
    backup_dir: Path | None = None
    backup_s3_bucket: str | None = None
    backup_s3_prefix: str = "gardien-backups/"
    backup_key: SecretStr | None = None
    erasure_ledger_dir: Path | None = None
    erasure_ledger_s3_bucket: str | None = None
    erasure_ledger_s3_prefix: str = "erasure-ledger/"
    offsite_s3_endpoint: str | None = None
    offsite_s3_region: str | None = None
    offsite_s3_access_key: str | None = None
    offsite_s3_secret_key: SecretStr | None = None

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
        "blob_dir",
        "blob_s3_endpoint",
        "blob_s3_region",
        "blob_s3_bucket",
        "blob_s3_access_key",
        "blob_s3_secret_key",
        "database_ca_file",
        "log_format",
        "metrics_token",
        "backup_dir",
        "backup_s3_bucket",
        "backup_key",
        "erasure_ledger_dir",
        "erasure_ledger_s3_bucket",
        "offsite_s3_endpoint",
        "offsite_s3_region",
        "offsite_s3_access_key",
        "offsite_s3_secret_key",
        mode="before",
    )
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        # GARDIEN_LOG_LEVEL=info or INFO, GARDIEN_LOG_FORMAT=JSON or json: both read the same.
        if not isinstance(value, str):
            return value
        return (
            value.upper()
            if value.lower() in {"debug", "info", "warning", "error"}
            else (value.lower())
        )

    @property
    def logs_as(self) -> LogFormat:
        """How logs are written: ``GARDIEN_LOG_FORMAT``, else JSON in production, text elsewhere."""
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.environment is Environment.PRODUCTION else LogFormat.TEXT

    @property
    def retired_secrets(self) -> list[str]:
        """The retired secrets of ``GARDIEN_PREVIOUS_SECRET_KEYS``, in the order given."""
        if self.previous_secret_keys is None:
            return []
        text = self.previous_secret_keys.get_secret_value()
        return [part.strip() for part in text.split(",") if part.strip()]

    @property
    def blob_directory(self) -> Path:
        """Where attachment content is kept on disk: ``GARDIEN_BLOB_DIR``, else a ``blobs``
        folder beside the SQLite database file, else ``var/blobs``."""
        return self.blob_dir or self._beside_database("blobs")

    @property
    def backup_directory(self) -> Path:
        """Where backups go on disk: ``GARDIEN_BACKUP_DIR``, else ``backups`` beside the SQLite
        database file, else ``var/backups``."""
        return self.backup_dir or self._beside_database("backups")

    @property
    def erasure_ledger_directory(self) -> Path:
        """Where the erasure ledger is kept on disk: ``GARDIEN_ERASURE_LEDGER_DIR``, else
        ``erasure-ledger`` beside the SQLite database file, else ``var/erasure-ledger``."""
        return self.erasure_ledger_dir or self._beside_database("erasure-ledger")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None (PostgreSQL, or a database in memory)."""
        scheme, _, rest = self.database_url.partition(":///")
        if scheme.startswith("sqlite") and rest and not rest.startswith(":memory:"):
            return Path(rest.split("?", 1)[0])
        return None

    def _beside_database(self, name: str) -> Path:
        database = self.sqlite_path
        return database.parent / name if database is not None else Path("var") / name

    @property
    def web_statement_timeout(self) -> float | None:
        """The web server's statement timeout in seconds, None for no limit (0 in the
        environment)."""
        seconds = self.database_statement_timeout_seconds
        return seconds if seconds > 0 else None

    @property
    def dkim_enabled(self) -> bool:
        """Whether outgoing mail is DKIM-signed: domain, selector and key file all set."""
        return None not in (self.dkim_domain, self.dkim_selector, self.dkim_private_key_file)

    @property
    def secret_key_problem(self) -> str | None:
        """Why the secret key is not fit for production (a msgid), or None when it is."""
        if "secret_key" not in self.model_fields_set:
            return SECRET_MISSING
        return secret_weakness(self.secret_key.get_secret_value())

    @property
    def retires_current_secret(self) -> bool:
        """Whether GARDIEN_PREVIOUS_SECRET_KEYS lists the current secret as retired."""
        return self.secret_key.get_secret_value() in self.retired_secrets

    def check(self) -> Settings:
        """Refuse settings that cannot be used safely; return self for chaining.

        In production, a secret key not worth 32 random bytes (:func:`secret_weakness`).
        """
        problem = self.secret_key_problem
        if self.environment is Environment.PRODUCTION and problem is not None:
            raise ConfigurationError(
                f"GARDIEN_SECRET_KEY is {problem}; production needs a random key of 32 bytes,"
                f" e.g. {GENERATE_SECRET}"
            )
        if self.retires_current_secret:
            raise ConfigurationError(
                "GARDIEN_PREVIOUS_SECRET_KEYS holds the current GARDIEN_SECRET_KEY:"
                " list there only the secrets you retired"
            )
        return self.check_consistency()

    def check_consistency(self) -> Settings:
        """Refuse settings that cannot work together, whatever the environment."""
        if self.session_idle_minutes < 1 or self.session_absolute_hours < 1:
            raise ConfigurationError("session timeouts must be positive")
        if not 0 < self.write_wait_seconds <= 60:
            raise ConfigurationError(
                "GARDIEN_WRITE_WAIT_SECONDS must be a number of seconds above 0, at most 60"
            )
        self._check_database()
        self._check_mail()
        self._check_blobs()
        self._check_offsite()
        return self

    def _check_database(self) -> None:
        timeout = self.web_statement_timeout
        if timeout is not None and timeout <= self.write_wait_seconds:
            # A statement's time includes its waits for locks: with a shorter timeout, a
            # writer held up by another would be told "too long" instead of "busy".
            raise ConfigurationError(
                "GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS must be longer than"
                " GARDIEN_WRITE_WAIT_SECONDS (or 0, no limit)"
            )
    def _check_offsite(self) -> None:
        s3 = {
            "GARDIEN_OFFSITE_S3_ENDPOINT": self.offsite_s3_endpoint,
            "GARDIEN_OFFSITE_S3_REGION": self.offsite_s3_region,
            "GARDIEN_OFFSITE_S3_ACCESS_KEY": self.offsite_s3_access_key,
            "GARDIEN_OFFSITE_S3_SECRET_KEY": self.offsite_s3_secret_key,
        }
        given = [name for name, value in s3.items() if value is not None]
        if given and self.backup_s3_bucket is None and self.erasure_ledger_s3_bucket is None:
            raise ConfigurationError(
                f"{', '.join(given)} set without GARDIEN_BACKUP_S3_BUCKET nor"
                " GARDIEN_ERASURE_LEDGER_S3_BUCKET: name the bucket"
            )
        if (self.offsite_s3_access_key is None) != (self.offsite_s3_secret_key is None):
            raise ConfigurationError(
                "GARDIEN_OFFSITE_S3_ACCESS_KEY and GARDIEN_OFFSITE_S3_SECRET_KEY go together"
            )
        if self.backup_key is not None:
            problem = secret_weakness(self.backup_key.get_secret_value())
            if problem is not None:
                raise ConfigurationError(
                    f"GARDIEN_BACKUP_KEY is {problem}; give a random key of 32 bytes,"
                    f" e.g. {GENERATE_SECRET}"
                )
        for name, prefix in (
            ("GARDIEN_BACKUP_S3_PREFIX", self.backup_s3_prefix),
            ("GARDIEN_ERASURE_LEDGER_S3_PREFIX", self.erasure_ledger_s3_prefix),
        ):
            if not prefix.endswith("/") or prefix.startswith("/"):
                raise ConfigurationError(f"{name} must end with / and not start with one")

    def _check_blobs(self) -> None:
        s3 = {
            "GARDIEN_BLOB_S3_ENDPOINT": self.blob_s3_endpoint,
            "GARDIEN_BLOB_S3_REGION": self.blob_s3_region,
            "GARDIEN_BLOB_S3_ACCESS_KEY": self.blob_s3_access_key,
            "GARDIEN_BLOB_S3_SECRET_KEY": self.blob_s3_secret_key,
        }
        given = [name for name, value in s3.items() if value is not None]
        if given and self.blob_s3_bucket is None:
            # Without a bucket the files-on-disk store would be used: not what was asked for.
            raise ConfigurationError(
                f"{', '.join(given)} set without GARDIEN_BLOB_S3_BUCKET: name the bucket"
            )
        if (self.blob_s3_access_key is None) != (self.blob_s3_secret_key is None):
            raise ConfigurationError(
                "GARDIEN_BLOB_S3_ACCESS_KEY and GARDIEN_BLOB_S3_SECRET_KEY go together"
            )

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


def load_settings() -> Settings:
    """The settings from the environment; a value that cannot be read is one clear error.

    The message names the variable and what is wrong, never the value: it may be a secret.
    """
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        name = "GARDIEN_" + str(error["loc"][0]).upper() if error["loc"] else "GARDIEN_*"
        raise ConfigurationError(f"{name}: {error['msg']}") from None
