"""What production needs, checked against the settings: the report of ``gardien check-config``.

Each :class:`Requirement` names a variable, says whether it is met, and explains in an English
sentence that is also a msgid of the gettext catalogue (the command translates it). No detail
ever contains a secret: the secret key and the API token are judged, never shown; of the
database URL, only its kind is told (it may hold a password). Reading the settings is all this
does (and the database's CA file, to see that it holds a certificate): no database, no network,
so the command answers at once (docs/configuration.md).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from gardien.settings import (
    GENERATE_SECRET,
    N_,
    Environment,
    LogFormat,
    Settings,
    secret_weakness,
)


class Status(StrEnum):
    MET = "met"
    MISSING = "missing"  # production needs it and does not have it: exit 1
    NOTE = "note"  # optional: said for the operator to know, met or not


@dataclass(frozen=True)
class Requirement:
    variable: str
    status: Status
    detail: str  # a msgid with %(name)s placeholders, filled from ``values``
    values: Mapping[str, object] = field(default_factory=dict)
    hint: str | None = None  # what to do about it: a msgid too, filled from the same values


STRONG_ENOUGH = N_("set, strong enough (32 random bytes or more)")
GENERATE = N_("generate one with %(command)s")
# Domains reserved for examples and tests (RFC 2606, RFC 6761): mail from them is nobody's.
RESERVED_DOMAINS = ("example.org", "example.com", "example.net")
RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost")


def production_requirements(settings: Settings) -> list[Requirement]:
    """Every requirement of production, in the order the report shows them (and a note on
    each setting that is set but no longer used)."""
    return [
        *_retired(settings),
        _environment(settings),
        _secret_key(settings),
        _previous_secret_keys(settings),
        _database(settings),
        *_database_limits(settings),
        _public_url(settings),
        _smtp(settings),
        _smtp_credentials(settings),
        _mail_from(settings),
        _dkim(settings),
        _api_token(settings),
        _metrics_token(settings),
        _log_format(settings),
        _clock(settings),
        _policy(settings),
        _erasure_ledger(settings),
        _backups(settings),
    ]


def ready(requirements: list[Requirement]) -> bool:
    """Whether production has everything it needs: no requirement is missing."""
    return all(item.status is not Status.MISSING for item in requirements)


def _given(settings: Settings, *names: str) -> bool:
    return any(name in settings.model_fields_set for name in names)


def _retired(settings: Settings) -> list[Requirement]:
    if settings.xapi_unknown_actors is None:
        return []
    return [
        Requirement(
            "GARDIEN_XAPI_UNKNOWN_ACTORS",
            Status.NOTE,
            N_(
                "no longer used, remove it: statements about people gardien does not know are"
                " stored under keyed pseudonyms (docs/xapi.md)"
            ),
        )
    ]


def _environment(settings: Settings) -> Requirement:
    if settings.environment is Environment.PRODUCTION:
        return Requirement("GARDIEN_ENVIRONMENT", Status.MET, N_("production"))
    return Requirement(
        "GARDIEN_ENVIRONMENT",
        Status.MISSING,
        N_("%(value)s, not production: set GARDIEN_ENVIRONMENT=production on the server"),
        {"value": settings.environment.value},
    )


def _secret_key(settings: Settings) -> Requirement:
    problem = settings.secret_key_problem
    if problem is None:
        return Requirement("GARDIEN_SECRET_KEY", Status.MET, STRONG_ENOUGH)
    return Requirement(
        "GARDIEN_SECRET_KEY",
        Status.MISSING,
        problem,
        {"command": GENERATE_SECRET},
        hint=GENERATE,
    )


def _previous_secret_keys(settings: Settings) -> Requirement:
    name = "GARDIEN_PREVIOUS_SECRET_KEYS"
    if settings.retires_current_secret:
        return Requirement(
            name,
            Status.MISSING,
            N_("holds the current GARDIEN_SECRET_KEY: list there only the secrets you retired"),
        )
    if not settings.retired_secrets:
        return Requirement(name, Status.NOTE, N_("not set: no retired secret"))
    return Requirement(name, Status.MET, N_("set, without the current secret"))


def _database(settings: Settings) -> Requirement:
    name = "GARDIEN_DATABASE_URL"
    if not _given(settings, "database_url"):
        return Requirement(
            name,
            Status.MISSING,
            N_("not set: the development database, a SQLite file in the working directory"),
        )
    url = urlsplit(settings.database_url)
    scheme = url.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(url.path.removeprefix("/"))
        if path in ("", ":memory:"):
            return Requirement(name, Status.MISSING, N_("SQLite in memory: nothing is kept"))
        if not path.startswith("/"):
            return Requirement(
                name,
                Status.MISSING,
                N_("a SQLite file relative to the working directory: give an absolute path"),
            )
        return Requirement(name, Status.MET, N_("a SQLite file (one writer at a time)"))
    if scheme not in ("postgresql", "postgres"):
        return Requirement(name, Status.MISSING, N_("neither PostgreSQL nor SQLite"))
    query = parse_qs(url.query)
    host = query.get("host", [url.hostname or ""])[-1]
    if host == "" or host.startswith("/"):
        return Requirement(name, Status.MET, N_("PostgreSQL over a Unix socket"))
    if is_loopback(host):
        return Requirement(name, Status.MET, N_("PostgreSQL on this machine (loopback)"))
    return _database_tls(settings, query)


def _database_tls(settings: Settings, query: dict[str, list[str]]) -> Requirement:
    """PostgreSQL over the network: ``sslmode=verify-full`` and a CA file that is one, as the
    engine reads them (store/engine.py ``with_ca_file``: the setting, else the URL's
    ``sslrootcert``; with the setting and no ``sslmode``, verify-full)."""
    name, ca_name = "GARDIEN_DATABASE_URL", "GARDIEN_DATABASE_CA_FILE"
    setting = settings.database_ca_file
    named = query.get("sslrootcert", [None])[-1]
    if setting is not None and named is not None and Path(named).resolve() != setting.resolve():
        return Requirement(
            ca_name,
            Status.MISSING,
            N_("the database URL's sslrootcert names another file: keep one of the two"),
        )
    ca = str(setting) if setting is not None else named
    sslmode = query.get("sslmode", ["verify-full" if setting is not None else ""])[-1]
    if sslmode != "verify-full":
        return Requirement(
            name,
            Status.MISSING,
            N_(
                "PostgreSQL over the network without sslmode=verify-full: the connection can be"
                " read or diverted"
            ),
            hint=None if ca is not None else CA_HINT,
        )
    if ca is None:
        return Requirement(
            ca_name,
            Status.MISSING,
            N_(
                "not set: sslmode=verify-full needs the CA certificate of the database service"
                " (the path of its file)"
            ),
        )
    if ca == "system":  # libpq 16: the operating system's trusted CAs
        return Requirement(
            name,
            Status.MET,
            N_("PostgreSQL over TLS, the server's certificate and name verified (verify-full)"),
        )
    path = Path(ca)
    if not path.is_file():
        return Requirement(ca_name, Status.MISSING, N_("%(path)s: no such file"), {"path": ca})
    if not _holds_certificate(path):
        return Requirement(
            ca_name,
            Status.MISSING,
            N_("%(path)s holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
            {"path": ca},
        )
    return Requirement(
        name,
        Status.MET,
        N_(
            "PostgreSQL over TLS, the server's certificate and name verified (verify-full)"
            " against %(path)s"
        ),
        {"path": ca},
    )


CA_HINT = N_("and set GARDIEN_DATABASE_CA_FILE to the CA certificate of the database service")


def _holds_certificate(path: Path) -> bool:
    try:
        return b"-----BEGIN CERTIFICATE-----" in path.read_bytes()[:1_000_000]
    except OSError:
        return False


def _database_limits(settings: Settings) -> list[Requirement]:
    """What the web server's engine is allowed: said, for the operator to size the plan."""
    notes = []
    if urlsplit(settings.database_url).scheme.split("+")[0] in ("postgresql", "postgres"):
        pool, overflow = settings.database_pool_size, settings.database_max_overflow
        notes.append(
            Requirement(
                "GARDIEN_DATABASE_POOL_SIZE",
                Status.NOTE,
                N_(
                    "up to %(total)s connections per web worker (%(pool)s kept, %(overflow)s more"
                    " under load): workers × %(total)s, plus the commands, must stay below the"
                    " database's max_connections"
                ),
                {"total": pool + overflow, "pool": pool, "overflow": overflow},
            )
        )
    seconds = settings.web_statement_timeout
    if seconds is None:
        notes.append(
            Requirement(
                "GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS",
                Status.NOTE,
                N_("0: no limit, a runaway query holds a web worker's connection"),
            )
        )
    else:
        notes.append(
            Requirement(
                "GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS",
                Status.NOTE,
                N_("a web request's database statements are stopped after %(seconds)s s"),
                {"seconds": f"{seconds:g}"},
            )
        )
    return notes


def _public_url(settings: Settings) -> Requirement:
    name = "GARDIEN_PUBLIC_URL"
    if not _given(settings, "public_url"):
        return Requirement(name, Status.MISSING, N_("not set: the development address"))
    if urlsplit(settings.public_url).scheme != "https":
        return Requirement(
            name, Status.MISSING, N_("not https: links and cookies would travel in clear")
        )
    return Requirement(name, Status.MET, N_("https"))


def _smtp(settings: Settings) -> Requirement:
    name = "GARDIEN_SMTP_HOST"
    where = {"host": settings.smtp_host, "port": settings.smtp_port}
    if not _given(settings, "smtp_host", "smtp_port"):
        return Requirement(
            name, Status.MISSING, N_("not set: e-mails go to the development sink"), where
        )
    if settings.smtp_ssl or settings.smtp_starttls:
        return Requirement(name, Status.MET, N_("%(host)s:%(port)s, encrypted (TLS)"), where)
    if is_loopback(settings.smtp_host) and settings.smtp_username is None:
        return Requirement(
            name, Status.MET, N_("%(host)s:%(port)s, a relay on this machine"), where
        )
    return Requirement(
        name,
        Status.MISSING,
        N_(
            "%(host)s:%(port)s without TLS: e-mails and the SMTP password would cross the"
            " network in clear (GARDIEN_SMTP_STARTTLS or GARDIEN_SMTP_SSL)"
        ),
        where,
    )


def _smtp_credentials(settings: Settings) -> Requirement:
    if settings.smtp_username is None:
        return Requirement(
            "GARDIEN_SMTP_USERNAME",
            Status.NOTE,
            N_("not set: the mail server must accept e-mails without signing in"),
        )
    return Requirement("GARDIEN_SMTP_USERNAME", Status.NOTE, N_("set, with its password"))


def _mail_from(settings: Settings) -> Requirement:
    name = "GARDIEN_MAIL_FROM"
    address = parseaddr(settings.mail_from)[1]
    if not _given(settings, "mail_from"):
        return Requirement(
            name, Status.MISSING, N_("not set: the default sender, at a reserved example domain")
        )
    domain = address.rpartition("@")[2].lower()
    if domain in RESERVED_DOMAINS or domain.endswith(RESERVED_SUFFIXES):
        return Requirement(
            name,
            Status.MISSING,
            N_("%(address)s: a domain reserved for examples, not yours"),
            {"address": address},
        )
    return Requirement(name, Status.MET, N_("set: %(address)s"), {"address": address})


def _dkim(settings: Settings) -> Requirement:
    if settings.dkim_enabled:
        return Requirement(
            "GARDIEN_DKIM_DOMAIN",
            Status.NOTE,
            N_("e-mails signed for %(domain)s (selector %(selector)s)"),
            {"domain": settings.dkim_domain, "selector": settings.dkim_selector},
        )
    return Requirement(
        "GARDIEN_DKIM_DOMAIN",
        Status.NOTE,
        N_("not set: e-mails are not DKIM-signed, and receivers trust them less"),
    )


def _api_token(settings: Settings) -> Requirement:
    name = "GARDIEN_API_TOKEN"
    if settings.api_token is None:
        return Requirement(name, Status.NOTE, N_("not set: the JSON API refuses everyone"))
    problem = secret_weakness(settings.api_token.get_secret_value())
    if problem is None:
        return Requirement(name, Status.MET, STRONG_ENOUGH)
    return Requirement(name, Status.MISSING, problem, {"command": GENERATE_SECRET}, hint=GENERATE)


# Observability (docs/observability.md): who may read /metrics, and how the logs are written.
def _metrics_token(settings: Settings) -> Requirement:
    name = "GARDIEN_METRICS_TOKEN"
    if settings.metrics_token is None:
        return Requirement(
            name,
            Status.NOTE,
            N_("not set: /metrics answers 404; set a token for Prometheus to read it"),
        )
    problem = secret_weakness(settings.metrics_token.get_secret_value())
    if problem is None:
        return Requirement(name, Status.MET, STRONG_ENOUGH)
    return Requirement(name, Status.MISSING, problem, {"command": GENERATE_SECRET}, hint=GENERATE)


def _log_format(settings: Settings) -> Requirement:
    name = "GARDIEN_LOG_FORMAT"
    if settings.logs_as is LogFormat.JSON:
        return Requirement(name, Status.MET, N_("JSON lines, at level %(level)s"), _level(settings))
    return Requirement(
        name,
        Status.NOTE,
        N_("plain text lines, at level %(level)s: log collectors read JSON lines (json)"),
        _level(settings),
    )


def _level(settings: Settings) -> dict[str, object]:
    return {"level": settings.log_level.value}


def _clock(settings: Settings) -> Requirement:
    if settings.now is None:
        return Requirement("GARDIEN_NOW", Status.MET, N_("not set: the system clock"))
    return Requirement(
        "GARDIEN_NOW",
        Status.MISSING,
        N_("set: the server would live on a fixed date (demonstrations and tests only)"),
    )


def _policy(settings: Settings) -> Requirement:
    if settings.policy is None:
        return Requirement("GARDIEN_POLICY", Status.NOTE, N_("not set: the shipped policy"))
    if not settings.policy.is_file():
        return Requirement(
            "GARDIEN_POLICY",
            Status.MISSING,
            N_("%(path)s: no such file"),
            {"path": str(settings.policy)},
        )
    return Requirement(
        "GARDIEN_POLICY",
        Status.NOTE,
        N_("%(path)s (gardien policy check validates it)"),
        {"path": str(settings.policy)},
    )


def _erasure_ledger(settings: Settings) -> Requirement:
    name = "GARDIEN_ERASURE_LEDGER_S3_BUCKET"
    if settings.erasure_ledger_s3_bucket:
        return Requirement(
            name,
            Status.NOTE,
            N_("erasures also written to bucket %(bucket)s (docs/backups.md)"),
            {"bucket": settings.erasure_ledger_s3_bucket},
        )
    return Requirement(
        name,
        Status.NOTE,
        N_(
            "not set: the erasure ledger is the folder %(path)s; if this disk is lost with the"
            " database, a restored backup forgets the erasures made since (docs/backups.md)"
        ),
        {"path": str(settings.erasure_ledger_directory)},
    )


def _backups(settings: Settings) -> Requirement:
    name = "GARDIEN_BACKUP_KEY"
    if settings.backup_key is not None:  # judged by Settings.check already
        return Requirement(name, Status.NOTE, STRONG_ENOUGH)
    return Requirement(
        name,
        Status.NOTE,
        N_("not set: backups are encrypted under a key derived from GARDIEN_SECRET_KEY"),
    )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only: ``localhost`` or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False  # another name, or 0.0.0.0 / :: (every interface): not loopback
