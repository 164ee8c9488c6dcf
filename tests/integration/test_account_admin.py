"""What an admin does to accounts, as services on SQLite and PostgreSQL: deactivation ends the
sessions and shuts every door, an invitation sent again kills the previous link, roles change
between staff roles only, a sponsor's contact is invited by sponsor (created when the import
has not brought them), each e-mail speaks to its reader's role, and every change is in the
audit log without an address."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, insert, select

from gardien.domain.clock import FixedClock
from gardien.errors import AccountChangeRefusedError, AuthenticationError, InvalidLinkError
from gardien.services.accounts.administration import change_role, deactivate, reactivate
from gardien.services.accounts.directory import list_accounts, search_sponsors
from gardien.services.accounts.invitations import (
    activate,
    invite,
    invite_sponsor_contact,
    resend_invitation,
)
from gardien.services.accounts.reset import request_reset, reset_password
from gardien.services.accounts.sessions import read_session
from gardien.services.accounts.signin import sign_in
from gardien.store.tables import account, audit_entry, outbox_message, sponsor, sponsor_contact
from gardien.store.uow import UnitOfWork
from tests.integration.test_accounts import GOOD, NOW, add_learner, links, services, uow

pytestmark = pytest.mark.integration

SERVICE = services(FixedClock(NOW))


def _sponsor(engine: Engine, ref: str, name: str) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                insert(sponsor)
                .values(ref=ref, kind="organisation", name=name, created_at=NOW)
                .returning(sponsor.c.id)
            ).scalar_one()
        )


def _staff(engine: Engine, email: str, role: str = "dpo") -> int:
    """An invited staff account, activated with :data:`GOOD`; its id."""
    made = invite(uow(engine), SERVICE, role=role, email=email)
    activate(uow(engine), SERVICE, token=links(engine, "account_invitation")[-1], password=GOOD)
    return made.account_id


def _audit(engine: Engine, action: str) -> list[tuple[str, dict[str, object]]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.actor, audit_entry.c.details)
            .where(audit_entry.c.action == action)
            .order_by(audit_entry.c.id)
        ).all()
    return [
        (actor, details if isinstance(details, dict) else json.loads(details))
        for actor, details in rows
    ]


def _bodies(engine: Engine, recipient: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(outbox_message.c.body)
                .where(outbox_message.c.recipient == recipient)
                .order_by(outbox_message.c.id)
            ).scalars()
        )


def test_deactivation_ends_the_sessions_and_every_way_in_until_reactivation(
    engine: Engine,
) -> None:
    admin = _staff(engine, "admin.chef@example.org", "admin")
    dpo = _staff(engine, "dpo.conge@example.org")
    session = sign_in(uow(engine), SERVICE, email="dpo.conge@example.org", password=GOOD).token
    # A reset link asked for before the deactivation.
    assert request_reset(uow(engine), SERVICE, email="dpo.conge@example.org", lang="fr")
    [reset_link] = links(engine, "password_reset")
    assert deactivate(uow(engine), SERVICE, account_id=dpo, actor_id=admin) >= 1
    with UnitOfWork(engine, write=True) as unit:
        assert read_session(unit.connection, session, now=NOW, timeouts=SERVICE.timeouts) is None
    with pytest.raises(AuthenticationError):
        sign_in(uow(engine), SERVICE, email="dpo.conge@example.org", password=GOOD)
    assert request_reset(uow(engine), SERVICE, email="dpo.conge@example.org", lang="fr") is False
    with pytest.raises(InvalidLinkError):
        reset_password(uow(engine), SERVICE, token=reset_link, password=GOOD + " again")
    with pytest.raises(AccountChangeRefusedError) as again:
        deactivate(uow(engine), SERVICE, account_id=dpo, actor_id=admin)
    assert again.value.reason == "deactivated"
    with pytest.raises(AccountChangeRefusedError) as own:
        deactivate(uow(engine), SERVICE, account_id=admin, actor_id=admin)
    assert own.value.reason == "own_account"

    reactivate(uow(engine), SERVICE, account_id=dpo, actor_id=admin)
    assert sign_in(uow(engine), SERVICE, email="dpo.conge@example.org", password=GOOD).token
    assert [actor for actor, _ in _audit(engine, "account.deactivated")] == [f"admin:{admin}"]
    assert _audit(engine, "account.reactivated") == [
        (f"admin:{admin}", {"account": dpo, "role": "dpo"})
    ]


def test_an_invitation_sent_again_kills_the_previous_link(engine: Engine) -> None:
    admin = _staff(engine, "admin.chef@example.org", "admin")
    waiting = invite(uow(engine), SERVICE, role="dpo", email="dpo.nouvelle@example.org")
    first = links(engine, "account_invitation")[-1]
    resend_invitation(
        uow(engine), SERVICE, account_id=waiting.account_id, lang="en", actor=f"admin:{admin}"
    )
    second = links(engine, "account_invitation")[-1]
    assert second != first
    with pytest.raises(InvalidLinkError):
        activate(uow(engine), SERVICE, token=first, password=GOOD)
    activate(uow(engine), SERVICE, token=second, password=GOOD)
    with pytest.raises(AccountChangeRefusedError) as active:
        resend_invitation(
            uow(engine), SERVICE, account_id=waiting.account_id, lang="fr", actor="admin:1"
        )
    assert active.value.reason == "not_invited"
    # A deactivated invitation is dead too.
    other = invite(uow(engine), SERVICE, role="dpo", email="dpo.partie@example.org")
    link = links(engine, "account_invitation")[-1]
    deactivate(uow(engine), SERVICE, account_id=other.account_id, actor_id=admin)
    with pytest.raises(InvalidLinkError):
        activate(uow(engine), SERVICE, token=link, password=GOOD)
    assert _audit(engine, "account.invitation_resent") == [
        (f"admin:{admin}", {"account": waiting.account_id, "role": "dpo"})
    ]


def test_roles_change_between_staff_roles_only(engine: Engine) -> None:
    admin = _staff(engine, "admin.chef@example.org", "admin")
    dpo = _staff(engine, "dpo.promue@example.org")
    change_role(uow(engine), SERVICE, account_id=dpo, role="admin", actor_id=admin)
    with engine.connect() as connection:
        assert (
            connection.execute(select(account.c.role).where(account.c.id == dpo)).scalar_one()
            == "admin"
        )
    learner_id = add_learner(engine, "lea.apprenante@example.org")
    learner_account = invite(uow(engine), SERVICE, role="learner", learner_id=learner_id)
    for target, role in (
        (dpo, "learner"),
        (dpo, "sponsor_contact"),
        (learner_account.account_id, "dpo"),
        (admin, "dpo"),
    ):
        with pytest.raises(AccountChangeRefusedError):
            change_role(uow(engine), SERVICE, account_id=target, role=role, actor_id=admin)
    assert _audit(engine, "account.role_changed") == [
        (f"admin:{admin}", {"account": dpo, "from": "dpo", "to": "admin"})
    ]


def test_a_sponsors_contact_is_invited_by_sponsor_and_created_when_new(engine: Engine) -> None:
    atelier = _sponsor(engine, "ORG-000049", "Atelier Fictif du Bois")
    _sponsor(engine, "ORG-000050", "École Fictive")
    with engine.begin() as connection:
        connection.execute(
            insert(sponsor_contact).values(
                sponsor_id=atelier, name="Rose Fictive", email="rh@atelier.example.com"
            )
        )
    found, total = search_sponsors(UnitOfWork(engine), "atelier")
    assert [(s.name, s.ref) for s in found] == [("Atelier Fictif du Bois", "ORG-000049")]
    assert total == 1

    # The contact the import brought.
    invite_sponsor_contact(
        uow(engine), SERVICE, sponsor_id=atelier, email="rh@atelier.example.com", actor="admin:9"
    )
    # A new one: refused without a name (nothing written), then created with it.
    with pytest.raises(AccountChangeRefusedError) as nameless:
        invite_sponsor_contact(
            uow(engine), SERVICE, sponsor_id=atelier, email="paie@atelier.example.com", actor="a"
        )
    assert (nameless.value.reason, nameless.value.field) == ("name_needed", "name")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(sponsor_contact)).scalar() == 1
    invite_sponsor_contact(
        uow(engine),
        SERVICE,
        sponsor_id=atelier,
        email="paie@atelier.example.com",
        name="  Paul   Fictif ",
        lang="en",
        actor="admin:9",
    )
    with engine.connect() as connection:
        assert (
            connection.execute(
                select(sponsor_contact.c.name).where(
                    sponsor_contact.c.email == "paie@atelier.example.com"
                )
            ).scalar_one()
            == "Paul Fictif"
        )
    # The first contact opens their account: inviting them again is refused.
    first_link = links(engine, "account_invitation")[0]
    activate(uow(engine), SERVICE, token=first_link, password=GOOD)
    for email, sponsor_id, reason, field in (
        ("rh@atelier.example.com", atelier, "active", "email"),
        ("x@atelier.example.com", 999_999, "no_sponsor", "sponsor"),
    ):
        with pytest.raises(AccountChangeRefusedError) as refused:
            invite_sponsor_contact(
                uow(engine), SERVICE, sponsor_id=sponsor_id, email=email, name="N", actor="a"
            )
        assert (refused.value.reason, refused.value.field) == (reason, field)
    # An address with a staff account cannot become a contact's.
    invite(uow(engine), SERVICE, role="dpo", email="dpo.double@example.org")
    with pytest.raises(AccountChangeRefusedError) as taken:
        invite_sponsor_contact(
            uow(engine),
            SERVICE,
            sponsor_id=atelier,
            email="dpo.double@example.org",
            name="D",
            actor="a",
        )
    assert taken.value.reason == "taken"
    details = [d for _, d in _audit(engine, "account.invited")]
    assert {"sponsor": atelier, "contact_created": True}.items() <= details[1].items()
    assert "@" not in json.dumps(details)


def test_each_role_reads_its_own_invitation(engine: Engine) -> None:
    atelier = _sponsor(engine, "ORG-000049", "Atelier Fictif du Bois")
    learner_id = add_learner(engine, "lea.apprenante@example.org")
    invite(uow(engine), SERVICE, role="learner", learner_id=learner_id)
    invite(uow(engine), SERVICE, role="admin", email="admin.neuf@example.org", lang="en")
    invite_sponsor_contact(
        uow(engine),
        SERVICE,
        sponsor_id=atelier,
        email="rh@atelier.example.com",
        name="Rose",
        actor="a",
    )
    [learner_mail] = _bodies(engine, "lea.apprenante@example.org")
    [staff_mail] = _bodies(engine, "admin.neuf@example.org")
    [contact_mail] = _bodies(engine, "rh@atelier.example.com")
    assert "toutes les données que nous détenons sur vous" in learner_mail
    assert "second facteur" not in learner_mail
    assert "staff account" in staff_mail and "second factor" in staff_mail
    assert "en tant que contact de Atelier Fictif du Bois" in contact_mail
    assert "contrats de formation de Atelier Fictif du Bois" in contact_mail
    assert "toutes les données que nous détenons sur vous" not in contact_mail


def test_the_list_filters_by_role_state_and_address(engine: Engine) -> None:
    admin = _staff(engine, "admin.chef@example.org", "admin")
    dpo = _staff(engine, "dpo.partie@example.org")
    invite(uow(engine), SERVICE, role="dpo", email="dpo.attendue@example.org")
    deactivate(uow(engine), SERVICE, account_id=dpo, actor_id=admin)

    def emails(**filters: str) -> list[str]:
        return [e.email for e in list_accounts(UnitOfWork(engine), **filters).entries]

    assert emails(role="dpo") == ["dpo.attendue@example.org", "dpo.partie@example.org"]
    assert emails(state="deactivated") == ["dpo.partie@example.org"]
    assert emails(state="invited") == ["dpo.attendue@example.org"]
    assert emails(state="active") == ["admin.chef@example.org"]
    assert emails(search="ATTEND") == ["dpo.attendue@example.org"]
    # A LIKE wildcard typed in the search is a character, not a pattern.
    assert emails(search="%") == []
    assert list_accounts(UnitOfWork(engine), limit=1).total == 3
