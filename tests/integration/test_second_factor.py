"""The second factor as services, on SQLite and PostgreSQL: one pending secret until a code
confirms it, recovery codes that work once, new codes that replace the old, and the
administrator's reset (secret and codes gone, sessions ended, the owner told by e-mail)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from gardien.domain.clock import FixedClock
from gardien.domain.totp import totp
from gardien.errors import AuthenticationError, InvalidInputError, NotFoundError
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.sealing import unseal
from gardien.services.accounts.second_factor import (
    TOTP_PENDING_SEAL,
    confirm_enrolment,
    enrolment,
    recovery_codes_left,
    renew_recovery_codes,
    reset_second_factor,
    sign_in_with_recovery_code,
)
from gardien.services.accounts.sessions import CurrentSession, read_session
from gardien.services.accounts.signin import TOTP_SEAL, sign_in
from gardien.store.tables import account, audit_entry, outbox_message, web_session
from gardien.store.uow import UnitOfWork
from tests.integration.test_accounts import services
from tests.support.web import PASSWORD, TOTP_SECRET, make_account

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
SECRET_KEY = "integration-secret"  # the key of tests.integration.test_accounts.services


def _services(at: datetime = NOW) -> AccountServices:
    return services(FixedClock(at))


def _uow(engine: Engine) -> UnitOfWork:
    return UnitOfWork(engine, write=True)


def _half_open(engine: Engine, email: str, at: datetime = NOW) -> CurrentSession:
    """Signed in with the password only (the second factor still owed)."""
    done = sign_in(_uow(engine), _services(at), email=email, password=PASSWORD)
    assert done.needs_second_factor
    with engine.begin() as connection:
        session = read_session(connection, done.token, now=at, timeouts=_services(at).timeouts)
    assert session is not None and not session.second_factor_done
    return session


def _row(engine: Engine, email: str) -> dict[str, object]:
    with engine.connect() as connection:
        row = connection.execute(select(account).where(account.c.email == email)).one()
    return dict(row._mapping)


def _audit(engine: Engine, action: str) -> list[dict[str, object]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.actor, audit_entry.c.details).where(audit_entry.c.action == action)
        ).all()
    return [{"actor": row.actor, "details": row.details} for row in rows]


def _enrolled(engine: Engine, email: str) -> list[str]:
    """A DPO without a second factor sets one up; returns their recovery codes."""
    make_account(
        engine, email=email, role="dpo", created_at=NOW, second_factor=False, secret_key=SECRET_KEY
    )
    session = _half_open(engine, email)
    secret = enrolment(_uow(engine), _services(), session).secret
    return confirm_enrolment(
        _uow(engine), _services(), _half_open(engine, email), code=totp(secret, NOW)
    ).recovery_codes


def test_the_secret_shown_stays_the_same_until_a_code_confirms_it(engine: Engine) -> None:
    email = "dpo.constante@example.org"
    make_account(
        engine, email=email, role="dpo", created_at=NOW, second_factor=False, secret_key=SECRET_KEY
    )
    session = _half_open(engine, email)
    first = enrolment(_uow(engine), _services(), session)
    assert email.replace("@", "%40") in first.uri or email in first.uri
    # Kept sealed, never in clear.
    pending = _row(engine, email)["totp_pending"]
    assert isinstance(pending, str) and first.secret not in pending
    assert unseal(SECRET_KEY, TOTP_PENDING_SEAL, pending) == first.secret
    # A reload (a new read of the session) and a wrong code keep it.
    again = enrolment(_uow(engine), _services(), _half_open(engine, email))
    assert again.secret == first.secret
    wrong = "000000" if totp(first.secret, NOW) != "000000" else "111111"
    with pytest.raises(AuthenticationError):
        confirm_enrolment(_uow(engine), _services(), _half_open(engine, email), code=wrong)
    assert _row(engine, email)["totp_pending"] == pending
    assert _row(engine, email)["totp_secret"] is None
    # Even a minute later, a new sign-in still gets the key scanned first.
    later = NOW + timedelta(minutes=1)
    session = _half_open(engine, email, later)
    assert enrolment(_uow(engine), _services(later), session).secret == first.secret
    confirmed = confirm_enrolment(
        _uow(engine), _services(later), session, code=totp(first.secret, later)
    )
    row = _row(engine, email)
    assert row["totp_pending"] is None
    assert unseal(SECRET_KEY, TOTP_SEAL, str(row["totp_secret"])) == first.secret
    # A new full session replaced the half-open one that gave the code.
    with engine.connect() as connection:
        sessions = dict(
            connection.execute(
                select(web_session.c.id, web_session.c.second_factor_done).where(
                    web_session.c.account_id == row["id"]
                )
            ).all()
        )
    assert list(sessions.values()).count(True) == 1
    with engine.begin() as connection:
        full = read_session(connection, confirmed.token, now=later, timeouts=_services().timeouts)
    assert full is not None and full.second_factor_done
    # Ten distinct codes, kept as digests only.
    codes = confirmed.recovery_codes
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[0-9a-z]{5}-[0-9a-z]{5}", code) for code in codes)
    stored = json.dumps(row["recovery_codes"])
    assert len(row["recovery_codes"]) == 10  # type: ignore[arg-type]
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    [entry] = _audit(engine, "account.second_factor_set")
    assert entry["details"] == {"account": row["id"], "recovery_codes": 10}


def test_a_recovery_code_signs_in_once(engine: Engine) -> None:
    email = "dpo.secours@example.org"
    codes = _enrolled(engine, email)
    # Typed in capitals, without its hyphen: still the code.
    typed = codes[3].replace("-", "").upper()
    token = sign_in_with_recovery_code(
        _uow(engine), _services(), _half_open(engine, email), code=typed
    )
    with engine.begin() as connection:
        session = read_session(connection, token, now=NOW, timeouts=_services().timeouts)
    assert session is not None and session.second_factor_done
    with pytest.raises(AuthenticationError):
        sign_in_with_recovery_code(
            _uow(engine), _services(), _half_open(engine, email), code=codes[3]
        )
    with pytest.raises(AuthenticationError):
        sign_in_with_recovery_code(
            _uow(engine), _services(), _half_open(engine, email), code="not a code"
        )
    account_id = _row(engine, email)["id"]
    assert recovery_codes_left(UnitOfWork(engine), int(str(account_id))) == 9
    [used] = _audit(engine, "account.recovery_code_used")
    assert used["details"] == {"account": account_id, "recovery_codes_left": 9}
    assert codes[3] not in json.dumps(used) and codes[3][:5] not in json.dumps(used)


def test_new_recovery_codes_replace_the_old_ones(engine: Engine) -> None:
    email = "dpo.renouvelle@example.org"
    old = _enrolled(engine, email)
    account_id = int(str(_row(engine, email)["id"]))
    new = renew_recovery_codes(
        _uow(engine), _services(), account_id=account_id, actor=f"account:{account_id}"
    )
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(AuthenticationError):
        sign_in_with_recovery_code(
            _uow(engine), _services(), _half_open(engine, email), code=old[0]
        )
    sign_in_with_recovery_code(_uow(engine), _services(), _half_open(engine, email), code=new[0])
    assert _audit(engine, "account.recovery_codes_renewed")[0]["actor"] == f"account:{account_id}"
    # Without a second factor there is nothing to recover.
    other = make_account(
        engine, email="dpo.sans@example.org", role="dpo", created_at=NOW, second_factor=False
    )
    with pytest.raises(InvalidInputError):
        renew_recovery_codes(_uow(engine), _services(), account_id=other, actor="cli")


@pytest.mark.parametrize(("lang", "words"), [("fr", "réinitialisé"), ("en", "was reset")])
def test_the_administrators_reset_clears_the_factor_and_ends_the_sessions(
    engine: Engine, lang: str, words: str
) -> None:
    email = "admin.perdu@example.org"
    make_account(engine, email=email, role="admin", created_at=NOW, secret_key=SECRET_KEY)
    account_id = int(str(_row(engine, email)["id"]))
    _half_open(engine, email)
    _half_open(engine, email)  # a second browser
    ended = reset_second_factor(
        _uow(engine), _services(), account_id=account_id, actor="admin:99", lang=lang
    )
    assert ended == 2
    row = _row(engine, email)
    assert (row["totp_secret"], row["totp_pending"], row["recovery_codes"]) == (None, None, None)
    with engine.connect() as connection:
        left = connection.execute(
            select(func.count())
            .select_from(web_session)
            .where(web_session.c.account_id == account_id)
        ).scalar_one()
        [mail] = connection.execute(
            select(outbox_message).where(outbox_message.c.kind == "second_factor_reset")
        ).all()
    assert left == 0
    assert mail.recipient == email and words in mail.subject
    prefix = "" if lang == "fr" else "/en"
    assert f"http://127.0.0.1:8000{prefix}/account/sign-in" in mail.body
    [entry] = _audit(engine, "account.second_factor_reset")
    assert entry == {"actor": "admin:99", "details": {"account": account_id, "sessions_ended": 2}}
    # The next sign-in asks for a new set-up, with a new secret.
    session = _half_open(engine, email)
    assert session.account.totp_secret is None
    assert enrolment(_uow(engine), _services(), session).secret != TOTP_SECRET


def test_only_a_staff_account_has_a_second_factor_to_reset(engine: Engine) -> None:
    contact = make_account(
        engine, email="dpo.vrai@example.org", role="dpo", created_at=NOW, secret_key=SECRET_KEY
    )
    with pytest.raises(NotFoundError):
        reset_second_factor(_uow(engine), _services(), account_id=contact + 1000, actor="admin:1")
    assert _audit(engine, "account.second_factor_reset") == []
