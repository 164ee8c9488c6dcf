"""One exception tree for the whole of gardien.

    GardienError
    ├── ConfigurationError      settings that cannot work (a default secret in production, ...)
    ├── PolicyError             a policy file that does not validate (carries file and line)
    ├── ClassificationError     columns or categories that the policy does not cover
    ├── DatabaseNotReadyError   a database that is unreachable or not migrated to the head revision
    ├── BusyError               another writer held the database longer than this caller waits
    ├── StatementTimeoutError   a database statement ran past the web server's time limit
    ├── ImportDocumentError     an import document that is malformed or inconsistent
    ├── NotFoundError           a named record that does not exist
    ├── AuditChainBrokenError   the audit log's hash chain does not verify (services.audit)
    ├── UnsupportedLanguageError  a language gardien has no translations for (gardien.i18n)
    ├── InvalidLinkError        a signed link that is forged, malformed or for another address
    │   ├── ExpiredLinkError    a genuine signed link past its last valid day
    │   └── UsedLinkError       a single-use link followed once already
    ├── InvalidInputError       what a person typed in a form or a file is not acceptable
    │   ├── PasswordRejectedError  a new password that is too short, too long or breached
    │   └── AccountChangeRefusedError  an invitation or account change an admin cannot make
    ├── AuthenticationError     a sign-in, second factor or session that is not accepted
    │   └── SignInRequired      a page for signed-in people, asked without a complete session
    ├── CsrfError               a form sent without the CSRF token of the page that showed it
    ├── PermissionDeniedError   a signed-in person asking for what their role does not allow
    ├── RequestStateError       a data-subject request asked to do what its state forbids
    ├── TooManyRequestsError    a form sent too often from one address or one client
    ├── DisclosureRefusedError  a transmission the policy's disclosure rules do not allow
    ├── EdofTransitionError     a CPF dossier move that EDOF's state machine does not allow
    ├── BlobStoreError          attachment content the blob store could not keep or give back
    ├── ErasureLedgerError      the erasure ledger could not keep, list or give back an entry
    ├── ReplayNeededError       a database lacks erasures the ledger holds (run erasure replay)
    ├── BackupError             a backup that cannot be made, found, decrypted or restored
    └── XapiError               an xAPI statement the Learning Record Store cannot accept
        ├── XapiValidationError   a statement that breaks the xAPI rules (names the property)
        ├── XapiConflictError     a statement id already stored with different content
        ├── XapiDocumentConflictError  a document PUT without If-Match over a stored one (409)
        ├── XapiPreconditionError  an If-Match / If-None-Match a document does not meet (412)
        └── XapiSendError         statements sent to a Learning Record Store and not stored there

Entry points map these to a clear message: the CLI prints it on stderr and exits non-zero,
the web layer answers with an HTTP status and a page. Domain errors never subclass HTTP types.

A message often quotes what it refuses (a file name, an address, a property of a statement), and
what it quotes may hold control characters: a CR/LF would split a one-line error in two (or forge
a second line in a log), an ESC would drive the terminal. So ``str()`` of every error goes
through :func:`escape_controls`, and the attributes the web layer shows as they are
(``problem``, ``prop``, ``field``...) are escaped when the error is made: whoever prints an
error never has to think about it.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the line and paragraph separators; the marks and overrides that
# reorder text on screen (a "Trojan source" message would read other than it is); lone
# surrogates (undecodable bytes of a file name), which no encoder would write out.
_CONTROLS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """``text`` with every control character written as a Python escape (``\\n``, ``\\x1b``).

    Printable text, accents and other scripts included, is left as it is; the result holds no
    control character, so it stays on one line. Escaping twice changes nothing more.
    """
    if _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escaped_or_none(text: str | None) -> str | None:
    return None if text is None else escape_controls(text)


class GardienError(Exception):
    """Base of every error gardien raises on purpose; its message is meant for people."""

    exit_code: int = 1

    def __str__(self) -> str:
        return escape_controls(super().__str__())


class ConfigurationError(GardienError):
    """The settings cannot work as given."""

    exit_code = 2


class PolicyError(GardienError):
    """A policy document is invalid; the message names the file, the line and the problem."""

    exit_code = 2

    def __init__(self, problem: str, *, source: str, line: int | None = None) -> None:
        self.problem = escape_controls(problem)
        self.source = escape_controls(source)
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class ClassificationError(GardienError):
    """Columns that hold personal data without a declared category, or categories without a rule."""

    exit_code = 1

    def __init__(self, culprits: list[str]) -> None:
        self.culprits = culprits
        super().__init__(
            "policy check failed:\n" + "\n".join(f"  - {culprit}" for culprit in culprits)
        )

    def __str__(self) -> str:
        # One line per culprit, by design; each culprit is escaped on its own line.
        lines = [escape_controls(culprit) for culprit in self.culprits]
        return "policy check failed:\n" + "\n".join(f"  - {line}" for line in lines)


class DatabaseNotReadyError(GardienError):
    """The database is unreachable, or its schema is not at the migrations' head."""

    exit_code = 2


class BusyError(GardienError):
    """Another writer held a lock longer than this caller waits; nothing was written.

    On SQLite the database's write lock (``database is locked`` after the busy timeout), on
    PostgreSQL a row or table lock (``lock_not_available`` after the web's ``lock_timeout``).
    The web answers 503 with ``Retry-After``; the command line, which waits longer, says so
    and exits 1: the same command run again finishes the work.
    """

    exit_code = 1


class StatementTimeoutError(GardienError):
    """A statement ran past the engine's statement timeout; its transaction rolled back.

    Set on the web server's engine (``GARDIEN_DATABASE_STATEMENT_TIMEOUT_SECONDS``):
    PostgreSQL's ``statement_timeout`` (SQLSTATE 57014), a progress handler on SQLite. The web
    answers 503; running the same request again is safe, since nothing was written
    (docs/postgresql.md).
    """

    exit_code = 1


class ImportDocumentError(GardienError):
    """An import document is malformed, or one of its records is wrong; nothing was imported."""

    exit_code = 2


class NotFoundError(GardienError):
    """A record named by the caller does not exist."""

    exit_code = 1


class UnsupportedLanguageError(GardienError):
    """A language gardien has no translations for; the message lists the supported ones."""

    exit_code = 2

    def __init__(self, lang: str, *, supported: tuple[str, ...]) -> None:
        self.lang = lang
        self.supported = supported
        super().__init__(f"unsupported language {lang!r}: choose one of {', '.join(supported)}")


class InvalidLinkError(GardienError):
    """A signed link (newsletter confirmation, unsubscription) that we did not issue as is."""

    exit_code = 2


class ExpiredLinkError(InvalidLinkError):
    """A genuine signed link whose validity has ended."""


class UsedLinkError(InvalidLinkError):
    """A genuine single-use link (a download of one's data) that was followed already."""


class InvalidInputError(GardienError):
    """Input from a person that cannot be accepted; ``field`` names the culprit when known."""

    exit_code = 2

    def __init__(self, problem: str, *, field: str | None = None) -> None:
        self.problem = escape_controls(problem)
        self.field = _escaped_or_none(field)
        super().__init__(f"{field}: {problem}" if field else problem)


class PasswordRejectedError(InvalidInputError):
    """A new password refused by the password policy (OWASP ASVS 2.1).

    ``reason`` is a stable code the pages translate: ``too_short``, ``too_long``,
    ``breached`` (found in a list of passwords exposed by data breaches) or ``contains_email``.
    The message never repeats the password.
    """

    def __init__(self, reason: str, problem: str) -> None:
        self.reason = reason
        super().__init__(problem, field="password")


class AccountChangeRefusedError(InvalidInputError):
    """An invitation or an account change an administrator asked for and cannot have.

    ``reason`` is a stable code the pages translate: ``taken`` (the address has an account
    with another role), ``active`` (already active), ``deactivated``, ``not_invited`` (no
    invitation waits), ``no_sponsor`` (unknown or anonymised sponsor), ``name_needed`` (a new
    contact needs a name), ``role`` (only staff roles change, between themselves) or
    ``own_account`` (an admin does not deactivate or demote themselves).
    """

    def __init__(self, reason: str, problem: str, *, field: str | None = None) -> None:
        self.reason = reason
        super().__init__(problem, field=field)


class AuthenticationError(GardienError):
    """Credentials, a second factor or a session that is not accepted.

    The message is the same whether the e-mail address is known or not: sign-in answers must
    not reveal which addresses have an account.
    """

    exit_code = 2


class SignInRequired(AuthenticationError):
    """A page for signed-in people, asked without a (complete) session."""


class CsrfError(GardienError):
    """A form sent without the CSRF token of the page that showed it; nothing was done."""

    exit_code = 2


class PermissionDeniedError(GardienError):
    """A signed-in person asked for something their role or their links do not give them."""

    exit_code = 2


class RequestStateError(GardienError):
    """A data-subject request cannot take this step in its state (closed, already extended...)."""

    exit_code = 2


class TooManyRequestsError(GardienError):
    """A form was sent too often; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many requests: retry in {retry_after} s")


class MailDeliveryError(GardienError):
    """An e-mail was not delivered this time; the outbox retries it with backoff.

    The message never contains an e-mail address: the SMTP code, the exception's class and the
    server's text with addresses removed (outbox rows keep it as ``last_error``).
    """

    exit_code = 1


class MailServerUnavailableError(MailDeliveryError):
    """No SMTP session could be had (refused, timed out, TLS or login failed).

    No message was offered to the server, so none counts an attempt: the sender puts the whole
    batch back with a retry time.
    """


class PermanentDeliveryError(MailDeliveryError):
    """The server refused this message for good (a 5xx reply): it is never retried."""


class DisclosureRefusedError(GardienError):
    """A transmission the policy does not allow; carries the policy's own words when it has them."""

    exit_code = 2

    def __init__(
        self, problem: str, *, policy_fr: str | None = None, policy_en: str | None = None
    ) -> None:
        self.problem = escape_controls(problem)
        self.policy_fr = policy_fr
        self.policy_en = policy_en
        cited = f' — policy: "{policy_en}" / « {policy_fr} »' if policy_en and policy_fr else ""
        super().__init__(f"transmission refused: {problem}{cited}")


class EdofTransitionError(GardienError):
    """A CPF dossier cannot go from its state to the one asked (see ``gardien.domain.edof``).

    ``current`` and ``target`` are the two states, ``allowed`` the states it can go to from
    ``current`` (empty when ``current`` is final). The message names no dossier and no person.
    """

    exit_code = 2

    def __init__(self, current: str, target: str, *, allowed: tuple[str, ...]) -> None:
        self.current = current
        self.target = target
        self.allowed = allowed
        if current == target:
            problem = f"the CPF dossier is already in state {current}"
        elif not allowed:
            problem = f"{current} is a final state: the CPF dossier cannot move to {target}"
        else:
            problem = (
                f"a CPF dossier cannot move from {current} to {target};"
                f" from {current} it can move to {' or '.join(allowed)}"
            )
        super().__init__(f"EDOF transition refused: {problem}")


class BlobStoreError(GardienError):
    """The blob store (files on disk, or an S3-compatible bucket) failed to keep, give back or
    delete an attachment's content; the message names the SHA-256, never the content."""


class ErasureLedgerError(GardienError):
    """The erasure ledger (a folder or an S3-compatible bucket) failed to keep, list or give back
    an entry; the message names the entry, never a person."""


class ReplayNeededError(GardienError):
    """The ledger holds erasures this database has not applied (a backup was restored): the
    web server does not start until ``gardien erasure replay`` has run."""


class BackupError(GardienError):
    """A backup that cannot be made, found, decrypted (wrong key, damaged file) or restored."""


class XapiError(GardienError):
    """An xAPI statement (or batch) that the Learning Record Store refuses."""

    exit_code = 2


class XapiValidationError(XapiError):
    """A statement breaks a rule of xAPI; ``prop`` is the dotted JSON path of the culprit.

    ``prop`` looks like ``actor.mbox``, ``result.score.scaled`` or, in a batch, ``[3].verb.id``;
    ``problem`` is a short sentence. Neither repeats the value received: it may be personal data.
    """

    def __init__(self, prop: str, problem: str) -> None:
        # ``prop`` holds keys of the statement received (an unknown property, a language tag).
        self.prop = escape_controls(prop)
        self.problem = escape_controls(problem)
        super().__init__(f"{prop}: {problem}")


class XapiConflictError(XapiError):
    """A statement id the store already holds, sent again with different content (HTTP 409)."""

    def __init__(self, statement_id: str) -> None:
        self.statement_id = statement_id
        super().__init__(f"statement {statement_id} is already stored with different content")


class XapiDocumentConflictError(XapiError):
    """A document write that would overwrite a document the client has not seen (HTTP 409).

    ``problem`` says what to do (read the document, send its ETag in If-Match).
    """

    def __init__(self, problem: str) -> None:
        self.problem = escape_controls(problem)
        super().__init__(problem)


class XapiPreconditionError(XapiError):
    """A document write whose ``header`` (If-Match, If-None-Match) does not hold (HTTP 412)."""

    def __init__(self, header: str, problem: str) -> None:
        self.header = header
        self.problem = escape_controls(problem)
        super().__init__(f"{header}: {problem}")


class XapiSendError(XapiError):
    """Statements sent to a Learning Record Store over HTTP were not stored.

    ``status`` is the HTTP status of the answer (None when none came: connection refused, time
    out), ``error`` and ``prop`` the LRS's own ``{"error", "property"}``. Like the LRS's errors,
    the message names positions and properties, never the content of a statement.
    """

    exit_code = 1

    def __init__(
        self,
        problem: str,
        *,
        status: int | None = None,
        error: str | None = None,
        prop: str | None = None,
    ) -> None:
        self.problem = escape_controls(problem)
        self.status = status
        self.error = _escaped_or_none(error)
        self.prop = _escaped_or_none(prop)
        answer = "no answer" if status is None else f"HTTP {status}"
        said = f"{prop}: {error}" if prop and error else error
        super().__init__(f"{problem}: {answer}" + (f", {said}" if said else ""))
