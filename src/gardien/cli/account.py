"""``gardien account invite|invite-learners``: open accounts by invitation.

Nobody chooses a password for somebody else: each command queues an e-mail with a signed link
(14 days, once) to the address the organisation already holds; following it, the person
chooses their password. DPO and admin accounts then set up their second factor (TOTP).
"""

from __future__ import annotations

import json

import typer

from gardien.cli.context import container, emit
from gardien.errors import InvalidInputError, NotFoundError

app = typer.Typer(
    help="Accounts: invitations to learners, sponsor contacts, staff.", no_args_is_help=True
)

_STAFF = ("dpo", "admin")


@app.command("invite")
def invite_command(
    ctx: typer.Context,
    role: str = typer.Option(..., "--role", help="dpo, admin or sponsor_contact."),
    email: str = typer.Option(..., "--email", help="The person's address."),
    sponsor_ref: str | None = typer.Option(
        None, "--sponsor", help="For a sponsor contact: the sponsor's reference."
    ),
    lang: str = typer.Option("fr", "--lang", help="Language of the e-mail: fr or en."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Invite a staff member (DPO, admin) or a sponsor's contact; the e-mail goes through the
    outbox (``gardien outbox send``)."""
    from gardien.services.accounts.directory import sponsor_contact_id
    from gardien.services.accounts.invitations import invite
    from gardien.services.website.newsletter import normalise_email
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx)
    if lang not in ("fr", "en"):
        raise InvalidInputError("choose fr or en", field="--lang")
    address = normalise_email(email)
    engine = app_.migrated_engine()
    contact_id = None
    if role == "sponsor_contact":
        if sponsor_ref is None:
            raise InvalidInputError("a sponsor contact needs --sponsor REF", field="--sponsor")
        contact_id = sponsor_contact_id(UnitOfWork(engine), sponsor_ref=sponsor_ref, email=address)
        if contact_id is None:
            raise NotFoundError(f"sponsor {sponsor_ref!r} has no contact at this address")
    elif role not in _STAFF:
        raise InvalidInputError("choose dpo, admin or sponsor_contact", field="--role")
    made = invite(
        UnitOfWork(engine, write=True),
        app_.accounts(),
        role=role,
        email=address,
        sponsor_contact_id=contact_id,
        lang=lang,
    )
    if as_json:
        emit(json.dumps({"account": made.account_id, "role": made.role, "queued": 1}))
    else:
        emit(f"invitation queued for account {made.account_id} ({made.role})")


@app.command("invite-learners")
def invite_learners_command(
    ctx: typer.Context,
    contract: str | None = typer.Option(
        None, "--contract", help="Only the learners of this contract (default: every learner)."
    ),
    lang: str = typer.Option("fr", "--lang", help="Language of the e-mails: fr or en."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Invite every learner who has no account yet, at the address of their contract."""
    from gardien.services.accounts.invitations import invite_learners
    from gardien.store.uow import UnitOfWork

    app_ = container(ctx)
    if lang not in ("fr", "en"):
        raise InvalidInputError("choose fr or en", field="--lang")
    count = invite_learners(
        UnitOfWork(app_.migrated_engine(), write=True),
        app_.accounts(),
        contract_reference=contract,
        lang=lang,
    )
    emit(json.dumps({"invited": count}) if as_json else f"{count} invitation(s) queued")
