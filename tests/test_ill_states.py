"""The state machine as data: what is reachable, what is refused, how actions map to ISO 18626."""

from __future__ import annotations

import pytest

from ill.errors import ActionNotAllowed
from ill.states import (
    INITIAL,
    ISO_MESSAGES,
    RULES,
    STATES,
    TRANSITIONS,
    Action,
    Role,
    Stage,
    State,
    Status,
    allowed_actions,
    next_state,
)

LOANED = State(Status.Loaned, Stage.in_transit)
SENT = State(Status.RequestReceived, Stage.with_lender)


def test_every_iso_status_is_reachable():
    assert {state.status for state in STATES} == set(Status) | {None}


def test_every_action_has_an_iso_mapping_entry_and_a_rule_or_is_placement():
    assert set(ISO_MESSAGES) == set(Action)
    assert {rule.action for rule in RULES} == set(Action) - {Action.Place}


def test_the_five_iso_requester_actions_travel_as_themselves():
    for action in ("Received", "ShippedReturn", "Cancel", "Renew", "StatusRequest"):
        assert ISO_MESSAGES[Action(action)] == ("requestingAgencyMessage", f"action={action}")


def test_closed_states_allow_nothing_and_every_open_state_can_still_move():
    """Nothing but a Notification (a message for people, which changes no state)."""
    for state in STATES:
        moves = [key for key in TRANSITIONS if key[0] == state and key[2] != Action.Notification]
        assert (moves == []) is state.is_closed, state.name


def test_a_notification_never_changes_the_state():
    notes = [(key, move) for key, move in TRANSITIONS.items() if key[2] == Action.Notification]
    assert {key[0] for key, _ in notes} == set(STATES)
    assert all(move.target == key[0] for key, move in notes)


def test_every_state_name_parses_back():
    assert all(State.parse(state.name) == state for state in STATES)


def test_every_closed_state_is_reachable_from_initial_and_targets_stay_in_states():
    assert INITIAL in STATES
    assert all(move.target in STATES for move in TRANSITIONS.values())
    assert {s.status for s in STATES if s.is_closed} == {
        Status.Unfilled,
        Status.Cancelled,
        Status.CopyCompleted,
        Status.LoanCompleted,
        Status.CompletedWithoutReturn,
    }


def test_patron_may_cancel_until_shipped_and_not_after():
    assert next_state(SENT, Role.patron, Action.Cancel) == State(Status.Cancelled, Stage.closed)
    with pytest.raises(ActionNotAllowed, match="patron cannot Cancel a loan request in state"):
        next_state(LOANED, Role.patron, Action.Cancel)


def test_refusal_names_state_and_what_is_allowed_now():
    with pytest.raises(ActionNotAllowed) as refused:
        next_state(SENT, Role.lender, Action.CheckedIn)
    assert refused.value.state == "RequestReceived/with_lender"
    assert "allowed now: " in refused.value.message
    assert set(refused.value.allowed) == {
        "ExpectToSupply", "WillSupply", "Conditional", "CannotSupply", "Shipped", "Notification"
    }  # fmt: skip


def test_loans_ship_and_copies_are_delivered_not_the_other_way_round():
    assert (
        next_state(SENT, Role.lender, Action.CopyDelivered, "Copy").status is Status.CopyCompleted
    )
    with pytest.raises(ActionNotAllowed, match="copy request"):
        next_state(SENT, Role.lender, Action.Shipped, "Copy")
    with pytest.raises(ActionNotAllowed, match="loan request"):
        next_state(SENT, Role.lender, Action.CopyDelivered, "Loan")


def test_a_loan_walks_the_borrowers_local_stages_under_the_loaned_status():
    state = next_state(SENT, Role.lender, Action.Shipped)
    steps = [
        (Role.borrower, Action.Received, Stage.received),
        (Role.borrower, Action.OnHoldShelf, Stage.on_hold_shelf),
        (Role.borrower, Action.LentToPatron, Stage.with_patron),
        (Role.borrower, Action.ReturnedByPatron, Stage.returned_by_patron),
        (Role.borrower, Action.ShippedReturn, Stage.shipped_back),
    ]
    for role, action, stage in steps:
        state = next_state(state, role, action)
        assert (state.status, state.stage) == (Status.Loaned, stage)
    assert next_state(state, Role.lender, Action.CheckedIn) == State(
        Status.LoanCompleted, Stage.closed
    )


def test_renewal_needs_a_request_before_the_lender_can_answer_it():
    with_patron = State(Status.Overdue, Stage.with_patron)
    with pytest.raises(ActionNotAllowed):
        next_state(with_patron, Role.lender, Action.RenewAccepted)
    asked = next_state(with_patron, Role.patron, Action.Renew)
    assert asked.renewal_pending
    assert next_state(asked, Role.lender, Action.RenewAccepted) == State(
        Status.Loaned, Stage.with_patron
    )
    assert next_state(asked, Role.lender, Action.RenewRefused) == with_patron


def test_lender_actions_are_not_open_to_the_borrower():
    assert Action.Shipped not in allowed_actions(SENT, Role.borrower)
    assert Action.Cancel in allowed_actions(SENT, Role.borrower)
