"""Wire gardien together once, the same way for the web app, the CLI and the tests.

Collaborators that pull in heavy libraries (the database engine and its migrations, the password
hasher, the website's services) are imported when first asked for, not with this module: a
command that only reads the policy (``gardien notice``, ``gardien policy show``) starts without
them, and without SQLAlchemy (docs/configuration.md, "A command line that starts at once").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gardien.domain.clock import Clock, FixedClock, SystemClock, parse_instant
from gardien.domain.lookup import SubjectLookup
from gardien.errors import ConfigurationError
from gardien.policy import Policy, load_policy
from gardien.settings import Settings, load_settings

# The policy is checked against the tables' columns, read from the written-out field list
# (store/field_list.py): no SQLAlchemy. The engine, the migrations and the services come when
# asked for.
from gardien.store.catalogue import record_catalogue

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from gardien.domain.xapi.pseudonyms import Pseudonyms
    from gardien.services.accounts.breached import BreachedPasswords
    from gardien.services.accounts.context import AccountServices
    from gardien.services.accounts.passwords import PasswordHasher
    from gardien.services.ready import ReadinessCheck
    from gardien.services.website.newsletter import Site
    from gardien.store.blobs import BlobStore
    from gardien.store.erasure_ledger import ErasureLedger


@dataclass
class Container:
    """The collaborators every use case needs; built by :func:`bootstrap`."""

    settings: Settings
    policy: Policy
    clock: Clock
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def engine(self) -> Engine:
        from gardien.store.engine import make_engine

        # The command line's engine: no statement timeout, SQLAlchemy's pool (a command uses
        # one or two connections); TLS verified as the web's (docs/postgresql.md).
        return self._engine or make_engine(
            self.settings.database_url, ca_file=self.settings.database_ca_file
        )

    @cached_property
    def policy_version(self) -> str:
        """The policy's version, computed once: the policy of a container never changes (a
        hash of its whole content: every page shows it)."""
        return self.policy.version

    def close(self) -> None:
        """Release the engine's connections, if the engine was ever built."""
        engine = self.__dict__.get("engine")
        if engine is not None:
            engine.dispose()

    def for_web(self) -> Container:
        """This container as the web app uses it: an engine of its own whose writers wait at
        most ``GARDIEN_WRITE_WAIT_SECONDS`` for a lock (a request's budget, then 503), not the
        command line's long wait, whose statements run at most
        ``GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS``, and whose pool is
        ``GARDIEN_DATABASE_POOL_SIZE`` + ``GARDIEN_DATABASE_MAX_OVERFLOW`` connections per worker
        process. An engine given to :func:`bootstrap` is used as it is."""
        if self._engine is not None:
            return self
        from gardien.store.engine import make_engine

        settings = self.settings
        engine = make_engine(
            settings.database_url,
            write_wait=settings.write_wait_seconds,
            background_checkpoints=True,
            statement_timeout=settings.web_statement_timeout,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            ca_file=settings.database_ca_file,
        )
        return Container(
            settings=self.settings, policy=self.policy, clock=self.clock, _engine=engine
        )

    def migrated_engine(self) -> Engine:
        """The engine, after checking the schema is at the migrations' head."""
        from gardien.store.migrate import ensure_migrated

        ensure_migrated(self.engine)
        return self.engine

    def website(self) -> Site:
        """What the newsletter's use cases need: policy, clock, signing key, public URL."""
        from gardien.services.website.newsletter import Site

        return Site(
            policy=self.policy,
            clock=self.clock,
            secret=self.settings.secret_key.get_secret_value(),
            public_url=self.settings.public_url,
            ledger=self.ledger,
            lookup=self.lookup,
        )

    @cached_property
    def lookup(self) -> SubjectLookup:
        """Keyed lookups of addresses, under the server secret (and the retired ones)."""
        return SubjectLookup(
            self.settings.secret_key.get_secret_value(), previous=self.settings.retired_secrets
        )

    @property
    def pseudonyms(self) -> Pseudonyms:
        """How the LRS names every agent it stores (domain/xapi/pseudonyms.py)."""
        from gardien.domain.xapi.pseudonyms import Pseudonyms

        return Pseudonyms(self.lookup, self.settings.public_url)

    @cached_property
    def blobs(self) -> BlobStore:
        """Where attachment content lives: files on disk, or an S3-compatible bucket."""
        from gardien.store.blobs import open_blob_store

        return open_blob_store(self.settings)

    @cached_property
    def ledger(self) -> ErasureLedger:
        """Where every erasure is also written, outside the database: a folder or a bucket."""
        from gardien.store.erasure_ledger import open_erasure_ledger

        return open_erasure_ledger(self.settings)

    @cached_property
    def readiness_checks(self) -> list[ReadinessCheck]:
        """What ``/ready`` checks (services/ready.py): the database at its schema's head, and
        every erasure of the ledger applied to it (one listing of the ledger kept a minute)."""
        from gardien.services.ready import CHECKS, ErasuresReplayed

        return [*CHECKS, ErasuresReplayed(self.ledger)]

    @cached_property
    def password_hasher(self) -> PasswordHasher:
        from gardien.services.accounts.passwords import PasswordHasher

        return PasswordHasher()

    @cached_property
    def breached_passwords(self) -> BreachedPasswords:
        from gardien.services.accounts.breached import breached_passwords

        return breached_passwords(self.settings.pwned_passwords_url)

    def accounts(self) -> AccountServices:
        """What the account and request use cases need (one hasher per process)."""
        from gardien.services.accounts.context import AccountServices
        from gardien.services.accounts.sessions import SessionTimeouts

        return AccountServices(
            policy=self.policy,
            clock=self.clock,
            secret=self.settings.secret_key.get_secret_value(),
            public_url=self.settings.public_url,
            hasher=self.password_hasher,
            breached=self.breached_passwords,
            lookup=self.lookup,
            timeouts=SessionTimeouts(
                idle=timedelta(minutes=self.settings.session_idle_minutes),
                absolute=timedelta(hours=self.settings.session_absolute_hours),
            ),
            blobs=self.blobs,
            ledger=self.ledger,
        )

    def upgraded_engine(self) -> Engine:
        """The engine, after applying any pending migration (empty databases included)."""
        from gardien.store.migrate import upgrade

        upgrade(self.engine, pseudonyms=self.pseudonyms)
        return self.engine


def clock_from(as_of: str | None) -> Clock:
    """A fixed clock for ``--as-of`` / ``GARDIEN_NOW``, else the system clock."""
    if not as_of:
        return SystemClock()
    try:
        return FixedClock(parse_instant(as_of))
    except ValueError as exc:
        raise ConfigurationError(f"--as-of / GARDIEN_NOW: {exc}") from None


def bootstrap(
    settings: Settings | None = None,
    *,
    policy_path: Path | None = None,
    database_url: str | None = None,
    as_of: str | None = None,
    engine: Engine | None = None,
) -> Container:
    """Build the container: settings from the environment, overridden by explicit arguments."""
    settings = (settings or load_settings()).check()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    if policy_path:
        settings = settings.model_copy(update={"policy": policy_path})
    policy = load_policy(settings.policy, catalogue=record_catalogue())
    clock = clock_from(as_of or settings.now)
    return Container(settings=settings, policy=policy, clock=clock, _engine=engine)
