"""Subject export. (Scaffold: being written.)"""

from __future__ import annotations

from typing import Any

from gardien.domain.clock import Clock
from gardien.policy import Policy
from gardien.store.uow import UnitOfWork


def export_subject(email: str, *, uow: UnitOfWork, policy: Policy, clock: Clock) -> dict[str, Any]:
    raise NotImplementedError
