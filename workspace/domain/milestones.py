"""The milestone state machine: one table of (action, role) -> {from state: to state}."""
from __future__ import annotations

from workspace.domain.errors import Conflict, Forbidden
from workspace.domain.roles import CLIENT, FREELANCER

PLANNED, SUBMITTED, CHANGES_REQUESTED = "planned", "submitted", "changes_requested"
APPROVED, PAID, CANCELLED = "approved", "paid", "cancelled"
STATES = (PLANNED, SUBMITTED, CHANGES_REQUESTED, APPROVED, PAID, CANCELLED)
SYSTEM = "system"  # the server itself: auto-approval, payment settlement

# action -> (who may, {from: to}). `cancel` needs both sides: see cancel_outcome.
TRANSITIONS: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "submit": (frozenset({FREELANCER}), {PLANNED: SUBMITTED, CHANGES_REQUESTED: SUBMITTED}),
    "approve": (frozenset({CLIENT}), {SUBMITTED: APPROVED}),
    "request_changes": (frozenset({CLIENT}), {SUBMITTED: CHANGES_REQUESTED}),
    "auto_approve": (frozenset({SYSTEM}), {SUBMITTED: APPROVED}),
    "cancel": (frozenset({FREELANCER, CLIENT}), {PLANNED: CANCELLED, SUBMITTED: CANCELLED,
                                                 CHANGES_REQUESTED: CANCELLED}),
    "settle": (frozenset({SYSTEM}), {APPROVED: PAID}),
}
LABELS = {
    PLANNED: "planned", SUBMITTED: "submitted for review", CHANGES_REQUESTED: "waiting for changes",
    APPROVED: "approved", PAID: "paid", CANCELLED: "cancelled",
}
ACTION_LABELS = {
    "submit": "submit it", "approve": "approve it", "request_changes": "request changes",
    "auto_approve": "approve it automatically", "cancel": "cancel it", "settle": "mark it paid",
}


def next_state(state: str, action: str, role: str) -> str:
    """The state after `action` by `role`; Forbidden for the wrong role, Conflict for the wrong state."""
    if action not in TRANSITIONS:
        raise Conflict(f"Unknown milestone action '{action}'.")
    roles, edges = TRANSITIONS[action]
    if role not in roles:
        who = " or ".join(sorted(roles)) if SYSTEM not in roles else "the server"
        raise Forbidden(f"Only the {who} can {ACTION_LABELS[action]}.")
    if state not in edges:
        raise Conflict(f"This milestone is {LABELS.get(state, state)}; you cannot {ACTION_LABELS[action]} now.",
                       code="illegal_transition")
    return edges[state]


def cancel_outcome(state: str, role: str, requested_by: str | None) -> tuple[str, str | None]:
    """(new state, pending requester) for a cancel by `role`: the first side asks, the other agrees."""
    next_state(state, "cancel", role)  # role and state checks
    if requested_by is None or requested_by == role:
        return state, role
    return CANCELLED, None


def revision_label(used: int, included: int) -> str:
    """'revision 2 of 2', or 'revision 3 (beyond the 2 included)'."""
    if used <= included:
        return f"revision {used} of {included}"
    return f"revision {used} (beyond the {included} included)"


def extra_work_to_price(state: str, decision: str | None, out_of_scope: bool, revision: int | None,
                        included: int) -> bool:
    """Whether the freelancer may price extra work: the latest request asked for changes beyond the
    included revisions, or marked them out of scope, and the milestone is still waiting on them."""
    return state == CHANGES_REQUESTED and decision == CHANGES_REQUESTED and (
        bool(out_of_scope) or (revision or 0) > included)
