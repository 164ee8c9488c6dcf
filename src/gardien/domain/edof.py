"""The life of a CPF dossier on EDOF, and the declaration of service done ("service fait").

EDOF is the Caisse des Dépôts platform where a training organisation handles the dossiers of
the CPF (compte personnel de formation). gardien keeps the dossier from the moment it is
accepted; the states and the moves between them are those of EDOF:

    accepted ──> in_training ──> terminated ──> service_declared ──> service_validated
       │
       └──> cancelled

``cancelled``, ``refused`` and ``service_validated`` are final. A refusal happens on EDOF
*before* a dossier is accepted (the organisation or the account holder declines the request),
so no move leads to ``refused``: such a dossier only arrives through the import, as EDOF
reports it. See ``docs/edof.md`` for the sources and the other choices made here.

Plain Python: no I/O, no database. The service ``gardien.services.cpf`` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from gardien.domain.vocabulary import CpfStatus
from gardien.errors import EdofTransitionError, InvalidInputError

__all__ = [
    "FINAL",
    "STATUS_LABELS",
    "TRANSITIONS",
    "ExitReason",
    "Label",
    "ServiceDeclaration",
    "check_move",
    "check_transition",
    "next_states",
]

_S = CpfStatus

# Every state, with the states it may move to. A state with none is final.
TRANSITIONS: Mapping[CpfStatus, frozenset[CpfStatus]] = MappingProxyType(
    {
        _S.ACCEPTED: frozenset({_S.IN_TRAINING, _S.CANCELLED}),
        _S.IN_TRAINING: frozenset({_S.TERMINATED}),
        _S.TERMINATED: frozenset({_S.SERVICE_DECLARED}),
        _S.SERVICE_DECLARED: frozenset({_S.SERVICE_VALIDATED}),
        _S.SERVICE_VALIDATED: frozenset(),
        _S.CANCELLED: frozenset(),
        _S.REFUSED: frozenset(),
    }
)

FINAL: frozenset[CpfStatus] = frozenset(state for state, nxt in TRANSITIONS.items() if not nxt)


class Label(NamedTuple):
    """What a person reads for a value: French first (EDOF's own words), English second."""

    fr: str
    en: str


STATUS_LABELS: Mapping[CpfStatus, Label] = MappingProxyType(
    {
        _S.ACCEPTED: Label("Accepté", "Accepted"),
        _S.IN_TRAINING: Label("En formation", "In training"),
        _S.TERMINATED: Label("Sortie de formation", "Left the training"),
        _S.SERVICE_DECLARED: Label("Service fait déclaré", "Service declared"),
        _S.SERVICE_VALIDATED: Label("Service fait validé", "Service validated"),
        _S.CANCELLED: Label("Annulé", "Cancelled"),
        _S.REFUSED: Label("Refusé", "Refused"),
    }
)


def next_states(current: CpfStatus) -> tuple[CpfStatus, ...]:
    """The states a dossier in ``current`` may move to, in the order of :class:`CpfStatus`."""
    allowed = TRANSITIONS[current]
    return tuple(state for state in CpfStatus if state in allowed)


def check_transition(current: CpfStatus, target: CpfStatus) -> None:
    """Refuse, with :class:`~gardien.errors.EdofTransitionError`, a move EDOF does not allow.

    Staying in the same state is not a move: it is refused too.
    """
    if target not in TRANSITIONS[current]:
        allowed = tuple(state.value for state in next_states(current))
        raise EdofTransitionError(current.value, target.value, allowed=allowed)


class ExitReason(StrEnum):
    """Why a trainee left the training, as the declaration of service done states it.

    EDOF asks whether the training was completed in full; when it was not, whether the
    trainee stopped for force majeure, and otherwise which of its three reasons applies
    (who is responsible for the partial completion).
    """

    COMPLETED = "completed"
    FORCE_MAJEURE = "force_majeure"
    DROPPED_OUT = "dropped_out"
    INTERRUPTED_RESCHEDULED = "interrupted_rescheduled"
    INTERRUPTED_FOR_GOOD = "interrupted_for_good"

    @property
    def label(self) -> Label:
        """The reason in French and English."""
        return _REASON_LABELS[self]


_REASON_LABELS: Mapping[ExitReason, Label] = MappingProxyType(
    {
        ExitReason.COMPLETED: Label("Formation suivie en totalité", "Training followed in full"),
        ExitReason.FORCE_MAJEURE: Label(
            "Sortie pour un cas de force majeure du stagiaire",
            "The trainee stopped for force majeure",
        ),
        ExitReason.DROPPED_OUT: Label(
            "Abandon ou absence sans rattrapage du stagiaire",
            "The trainee dropped out or missed sessions without catching up",
        ),
        ExitReason.INTERRUPTED_RESCHEDULED: Label(
            "Interruption par l'organisme, avec report ou prolongation proposés",
            "Interrupted by the organisation, which offers to postpone or extend it",
        ),
        ExitReason.INTERRUPTED_FOR_GOOD: Label(
            "Interruption par l'organisme, sans report possible",
            "Interrupted by the organisation, which cannot postpone it",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class ServiceDeclaration:
    """The declaration of service done: when the trainee entered and left, how much of the
    training they followed (a whole percentage) and why they left.

    Built only when consistent, else :class:`~gardien.errors.InvalidInputError` names the
    field: the exit is on or after the entry, the rate is within 0..100, and the reason agrees
    with the rate (``completed`` is 100 %, any other reason less).
    """

    entry_date: date
    exit_date: date
    completion_rate: int
    exit_reason: ExitReason

    def __post_init__(self) -> None:
        for name in ("entry_date", "exit_date"):
            value = getattr(self, name)
            # A datetime is a date too, but a declaration is made of calendar days.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise InvalidInputError("a calendar date (YYYY-MM-DD) is required", field=name)
        if self.exit_date < self.entry_date:
            raise InvalidInputError(
                f"the exit ({self.exit_date.isoformat()}) is before the entry"
                f" ({self.entry_date.isoformat()})",
                field="exit_date",
            )
        rate = self.completion_rate
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= 100:
            raise InvalidInputError(
                f"a whole percentage from 0 to 100 is required, not {rate!r}",
                field="completion_rate",
            )
        reason = _reason(self.exit_reason)
        object.__setattr__(self, "exit_reason", reason)
        if reason is ExitReason.COMPLETED and rate != 100:
            raise InvalidInputError(
                f"a training followed in full is 100 %, not {rate} %: give the reason it"
                " was not completed",
                field="exit_reason",
            )
        if reason is not ExitReason.COMPLETED and rate == 100:
            raise InvalidInputError(
                f"at 100 % the training was completed: the reason is"
                f" {ExitReason.COMPLETED.value}, not {reason.value}",
                field="exit_reason",
            )


def _reason(value: object) -> ExitReason:
    if isinstance(value, str) and value in _REASON_VALUES:
        return ExitReason(value)
    choices = ", ".join(_REASON_VALUES)
    raise InvalidInputError(
        f"unknown exit reason {value!r}: choose one of {choices}", field="exit_reason"
    )


_REASON_VALUES = tuple(reason.value for reason in ExitReason)


def check_move(
    current: CpfStatus,
    target: CpfStatus,
    *,
    entry_date: date | None = None,
    declaration: ServiceDeclaration | None = None,
) -> None:
    """Check a move and what it needs: entering training needs the entry date, declaring the
    service needs the whole :class:`ServiceDeclaration`, and neither is given to other moves.

    An illegal move raises :class:`~gardien.errors.EdofTransitionError` before anything about
    its data is checked; missing or stray data raise :class:`~gardien.errors.InvalidInputError`.
    """
    check_transition(current, target)
    if target is CpfStatus.IN_TRAINING and entry_date is None:
        raise InvalidInputError("entering the training needs its entry date", field="entry_date")
    if target is not CpfStatus.IN_TRAINING and entry_date is not None:
        raise InvalidInputError(
            f"an entry date is given only when entering the training, not for {target.value}",
            field="entry_date",
        )
    if target is CpfStatus.SERVICE_DECLARED and declaration is None:
        raise InvalidInputError(
            "declaring the service needs the whole declaration: entry and exit dates,"
            " completion rate and exit reason",
            field="declaration",
        )
    if target is not CpfStatus.SERVICE_DECLARED and declaration is not None:
        raise InvalidInputError(
            f"a declaration of service goes with service_declared, not {target.value}",
            field="declaration",
        )
