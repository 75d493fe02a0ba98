"""The milestone state machine, walked exhaustively: every state x action x role."""
from __future__ import annotations

import itertools

import pytest

from workspace.domain.errors import Conflict, Forbidden
from workspace.domain.milestones import STATES, TRANSITIONS, cancel_outcome, next_state, revision_label

ROLES = ("freelancer", "client", "viewer", "system")

# Written out by hand from DESIGN.md, independently of the table in the code.
LEGAL = {
    ("planned", "submit", "freelancer"): "submitted",
    ("changes_requested", "submit", "freelancer"): "submitted",
    ("submitted", "approve", "client"): "approved",
    ("submitted", "request_changes", "client"): "changes_requested",
    ("submitted", "auto_approve", "system"): "approved",
    ("approved", "settle", "system"): "paid",
    **{(s, "cancel", r): "cancelled" for s in ("planned", "submitted", "changes_requested")
       for r in ("freelancer", "client")},
}
WHO = {"submit": {"freelancer"}, "approve": {"client"}, "request_changes": {"client"},
       "auto_approve": {"system"}, "settle": {"system"}, "cancel": {"freelancer", "client"}}


@pytest.mark.parametrize("state,action,role", list(itertools.product(STATES, list(TRANSITIONS), ROLES)))
def test_every_transition(state, action, role):
    expected = LEGAL.get((state, action, role))
    if expected is not None:
        assert next_state(state, action, role) == expected
    elif role not in WHO[action]:
        with pytest.raises(Forbidden):
            next_state(state, action, role)
    else:
        with pytest.raises(Conflict) as caught:
            next_state(state, action, role)
        assert caught.value.code == "illegal_transition"
        assert "This milestone is" in caught.value.message  # names the current state


def test_nothing_leaves_paid_or_cancelled():
    for state in ("paid", "cancelled"):
        for action, role in itertools.product(TRANSITIONS, ROLES):
            assert (state, action, role) not in LEGAL


def test_cancel_needs_both_sides():
    assert cancel_outcome("planned", "freelancer", None) == ("planned", "freelancer")
    assert cancel_outcome("planned", "freelancer", "freelancer") == ("planned", "freelancer")
    assert cancel_outcome("planned", "client", "freelancer") == ("cancelled", None)
    with pytest.raises(Conflict):
        cancel_outcome("approved", "client", "freelancer")
    with pytest.raises(Forbidden):
        cancel_outcome("planned", "viewer", None)


def test_revision_labels():
    assert revision_label(1, 2) == "revision 1 of 2"
    assert revision_label(2, 2) == "revision 2 of 2"
    assert revision_label(3, 2) == "revision 3 (beyond the 2 included)"


def test_unknown_action():
    with pytest.raises(Conflict):
        next_state("planned", "teleport", "freelancer")
