"""What an administrator does to an account: deactivate, reactivate, change a staff role.

Each change is one transaction with its audit entry (actor: the admin's account id; details:
account ids and roles, never an address). A deactivated account keeps its row (its retention
clock still runs) but cannot sign in: its sessions end in the same transaction, and sign-in,
password reset and invitation links refuse it. Roles change between staff roles only (DPO and
admin): a learner's or a sponsor contact's account hangs on their record, so it cannot become
another kind. An admin cannot deactivate or demote their own account (nobody would be left to
undo it).
"""

from __future__ import annotations

from gardien.errors import AccountChangeRefusedError, NotFoundError
from gardien.services.accounts.context import AccountServices
from gardien.services.accounts.invitations import STAFF_ROLES
from gardien.services.accounts.sessions import end_all_sessions
from gardien.store.accounts import AccountRow, account_by_id, update_account
from gardien.store.audit import append_audit
from gardien.store.uow import UnitOfWork


def _target(uow: UnitOfWork, account_id: int) -> AccountRow:
    found = account_by_id(uow.connection, account_id, lock=True)
    if found is None:
        raise NotFoundError("no such account")
    return found


def _not_self(found: AccountRow, actor_id: int) -> None:
    if found.id == actor_id:
        raise AccountChangeRefusedError("own_account", "an admin does not change their own account")


def deactivate(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, actor_id: int
) -> int:
    """Deactivate the account and end its sessions at once; returns how many ended. Commits."""
    with uow:
        found = _target(uow, account_id)
        _not_self(found, actor_id)
        if found.deactivated:
            raise AccountChangeRefusedError("deactivated", "this account is already deactivated")
        now = services.now()
        update_account(uow.connection, found.id, deactivated_at=now)
        ended = end_all_sessions(uow.connection, found.id)
        append_audit(
            uow.connection,
            action="account.deactivated",
            actor=f"admin:{actor_id}",
            details={"account": found.id, "role": found.role, "sessions_ended": ended},
            recorded_at=now,
        )
        uow.commit()
    return ended


def reactivate(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, actor_id: int
) -> None:
    """Let a deactivated account sign in again (with its own password). Commits."""
    with uow:
        found = _target(uow, account_id)
        if not found.deactivated:
            raise AccountChangeRefusedError("active", "this account is not deactivated")
        update_account(uow.connection, found.id, deactivated_at=None)
        append_audit(
            uow.connection,
            action="account.reactivated",
            actor=f"admin:{actor_id}",
            details={"account": found.id, "role": found.role},
            recorded_at=services.now(),
        )
        uow.commit()


def change_role(
    uow: UnitOfWork, services: AccountServices, *, account_id: int, role: str, actor_id: int
) -> None:
    """Move a staff account between DPO and admin. Commits.

    The account's open sessions carry on under the new role: each request reads the role from
    the account row.
    """
    if role not in STAFF_ROLES:
        raise AccountChangeRefusedError("role", f"not a staff role: {role!r}", field="role")
    with uow:
        found = _target(uow, account_id)
        if found.role not in STAFF_ROLES:
            raise AccountChangeRefusedError("role", "only staff accounts change role")
        _not_self(found, actor_id)
        if found.role == role:
            raise AccountChangeRefusedError("role", "the account has this role already")
        update_account(uow.connection, found.id, role=role)
        append_audit(
            uow.connection,
            action="account.role_changed",
            actor=f"admin:{actor_id}",
            details={"account": found.id, "from": found.role, "to": role},
            recorded_at=services.now(),
        )
        uow.commit()
