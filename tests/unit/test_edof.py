"""EDOF's state machine and the declaration of service done (gardien.domain.edof)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gardien.domain.edof import (
    FINAL,
    STATUS_LABELS,
    TRANSITIONS,
    ExitReason,
    ServiceDeclaration,
    check_move,
    check_transition,
    next_states,
)
from gardien.domain.vocabulary import CpfStatus as S
from gardien.errors import EdofTransitionError, GardienError, InvalidInputError

# The table as EDOF draws it, written out independently of the module under test.
ALLOWED = {
    (S.ACCEPTED, S.IN_TRAINING),
    (S.ACCEPTED, S.CANCELLED),
    (S.IN_TRAINING, S.TERMINATED),
    (S.TERMINATED, S.SERVICE_DECLARED),
    (S.SERVICE_DECLARED, S.SERVICE_VALIDATED),
}
EVERY_PAIR = list(itertools.product(S, S))


def test_every_state_has_a_row_and_a_label() -> None:
    assert set(TRANSITIONS) == set(S)
    assert set(STATUS_LABELS) == set(S)
    assert STATUS_LABELS[S.TERMINATED].fr == "Sortie de formation"


def test_the_final_states() -> None:
    assert {S.CANCELLED, S.REFUSED, S.SERVICE_VALIDATED} == FINAL
    for state in FINAL:
        assert next_states(state) == ()


@pytest.mark.parametrize(("current", "target"), EVERY_PAIR, ids=lambda s: s.value)
def test_a_move_is_allowed_iff_it_is_in_the_table(current: S, target: S) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
        assert target in next_states(current)
        return
    with pytest.raises(EdofTransitionError) as caught:
        check_transition(current, target)
    error = caught.value
    assert (error.current, error.target) == (current.value, target.value)
    assert error.allowed == tuple(s.value for s in next_states(current))
    assert target not in next_states(current)
    assert isinstance(error, GardienError)
    assert error.exit_code == 2


def test_refused_is_reached_by_no_move() -> None:
    # On EDOF a dossier is refused before it is accepted: only the import brings one.
    assert all(target is not S.REFUSED for _, target in ALLOWED)
    assert not any(S.REFUSED in TRANSITIONS[state] for state in S)


def test_next_states_follow_the_order_of_the_vocabulary() -> None:
    assert next_states(S.ACCEPTED) == (S.IN_TRAINING, S.CANCELLED)
    assert next_states(S.IN_TRAINING) == (S.TERMINATED,)


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            S.ACCEPTED,
            S.TERMINATED,
            "EDOF transition refused: a CPF dossier cannot move from accepted to terminated;"
            " from accepted it can move to in_training or cancelled",
        ),
        (
            S.CANCELLED,
            S.IN_TRAINING,
            "EDOF transition refused: cancelled is a final state: the CPF dossier cannot move"
            " to in_training",
        ),
        (
            S.IN_TRAINING,
            S.IN_TRAINING,
            "EDOF transition refused: the CPF dossier is already in state in_training",
        ),
    ],
)
def test_refusals_say_why(current: S, target: S, message: str) -> None:
    with pytest.raises(EdofTransitionError) as caught:
        check_transition(current, target)
    assert str(caught.value) == message


@given(st.lists(st.sampled_from(list(S)), max_size=12))
def test_any_walk_obeys_the_table_and_has_no_cycle(path: list[S]) -> None:
    state, moves = S.ACCEPTED, 0
    for target in path:
        try:
            check_transition(state, target)
        except EdofTransitionError:
            assert (state, target) not in ALLOWED
        else:
            assert (state, target) in ALLOWED
            state, moves = target, moves + 1
    # The longest walk: accepted, in training, terminated, service declared, validated.
    assert moves <= 4
    assert moves < 4 or state is S.SERVICE_VALIDATED


# -- what a move needs ---------------------------------------------------------------------------

DECLARATION = ServiceDeclaration(
    entry_date=date(2025, 3, 3),
    exit_date=date(2025, 4, 30),
    completion_rate=100,
    exit_reason=ExitReason.COMPLETED,
)


def test_entering_training_needs_the_entry_date() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_move(S.ACCEPTED, S.IN_TRAINING)
    assert caught.value.field == "entry_date"
    check_move(S.ACCEPTED, S.IN_TRAINING, entry_date=date(2025, 3, 3))


def test_an_entry_date_goes_with_entering_training_only() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_move(S.ACCEPTED, S.CANCELLED, entry_date=date(2025, 3, 3))
    assert caught.value.field == "entry_date"


def test_declaring_the_service_needs_the_declaration() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_move(S.TERMINATED, S.SERVICE_DECLARED)
    assert caught.value.field == "declaration"
    check_move(S.TERMINATED, S.SERVICE_DECLARED, declaration=DECLARATION)
    with pytest.raises(InvalidInputError):
        check_move(S.SERVICE_DECLARED, S.SERVICE_VALIDATED, declaration=DECLARATION)


def test_an_illegal_move_is_refused_before_its_data_is_looked_at() -> None:
    with pytest.raises(EdofTransitionError):
        check_move(S.IN_TRAINING, S.SERVICE_DECLARED)
    with pytest.raises(EdofTransitionError):
        check_move(S.TERMINATED, S.IN_TRAINING)


# -- the declaration -----------------------------------------------------------------------------


def declaration(**changes: Any) -> ServiceDeclaration:
    fields: dict[str, Any] = {
        "entry_date": date(2025, 3, 3),
        "exit_date": date(2025, 4, 30),
        "completion_rate": 60,
        "exit_reason": ExitReason.DROPPED_OUT,
        **changes,
    }
    return ServiceDeclaration(**fields)


def test_a_consistent_declaration_is_kept_as_given() -> None:
    made = declaration()
    assert (made.entry_date, made.exit_date) == (date(2025, 3, 3), date(2025, 4, 30))
    assert made.completion_rate == 60
    assert made.exit_reason is ExitReason.DROPPED_OUT


def test_entry_and_exit_on_the_same_day() -> None:
    declaration(exit_date=date(2025, 3, 3))


def test_the_exit_is_not_before_the_entry() -> None:
    with pytest.raises(InvalidInputError) as caught:
        declaration(exit_date=date(2025, 3, 2))
    assert caught.value.field == "exit_date"
    assert "before the entry" in str(caught.value)


@pytest.mark.parametrize("rate", [-1, 101, 1000, 50.0, True, "50", None])
def test_the_rate_is_a_whole_percentage(rate: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        declaration(completion_rate=rate)
    assert caught.value.field == "completion_rate"


@given(st.integers(min_value=0, max_value=99), st.sampled_from(list(ExitReason)))
def test_any_partial_rate_goes_with_a_reason_other_than_completed(
    rate: int, reason: ExitReason
) -> None:
    if reason is ExitReason.COMPLETED:
        with pytest.raises(InvalidInputError) as caught:
            declaration(completion_rate=rate, exit_reason=reason)
        assert caught.value.field == "exit_reason"
    else:
        assert declaration(completion_rate=rate, exit_reason=reason).completion_rate == rate


@pytest.mark.parametrize("reason", [r for r in ExitReason if r is not ExitReason.COMPLETED])
def test_a_full_rate_is_a_completed_training(reason: ExitReason) -> None:
    assert declaration(completion_rate=100, exit_reason=ExitReason.COMPLETED).completion_rate == 100
    with pytest.raises(InvalidInputError) as caught:
        declaration(completion_rate=100, exit_reason=reason)
    assert caught.value.field == "exit_reason"


def test_a_reason_given_as_its_value_becomes_the_enum() -> None:
    assert declaration(exit_reason="dropped_out").exit_reason is ExitReason.DROPPED_OUT


@pytest.mark.parametrize("reason", ["Formation terminée", "", "COMPLETED", 3])
def test_an_unknown_reason_is_refused(reason: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        declaration(exit_reason=reason)
    assert caught.value.field == "exit_reason"
    assert "completed, force_majeure" in str(caught.value)


@pytest.mark.parametrize("field", ["entry_date", "exit_date"])
@pytest.mark.parametrize("value", [datetime(2025, 3, 3, 9, 0), "2025-03-03", None])
def test_dates_are_calendar_days(field: str, value: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        declaration(**{field: value})
    assert caught.value.field == field


def test_every_reason_reads_in_french_and_english() -> None:
    for reason in ExitReason:
        assert reason.label.fr and reason.label.en
        assert reason.label.fr != reason.label.en


def test_a_declaration_cannot_be_changed() -> None:
    made = declaration()
    with pytest.raises(AttributeError):
        made.completion_rate = 100  # type: ignore[misc]
    assert made.exit_date - made.entry_date == timedelta(days=58)
