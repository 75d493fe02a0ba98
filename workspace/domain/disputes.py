"""Disputes over one milestone: who may open, propose, accept and withdraw, and what a resolution
posts to the ledger. Pure rules; services/disputes.py applies them inside a transaction.

A dispute is `open` until a proposal is accepted (`resolved`) or the side that opened it takes it back
(`withdrawn`). While it is open the milestone is frozen: no submit, review, cancel, auto-approval or
settlement. A proposal is either an amount to the freelancer (0 to the milestone's amount, the rest
cancelled) or, for a milestone not yet approved, a new due date with one more revision. Each side
speaks as a side: any client accepts for the clients, as any client approves. A mediator's proposal
takes effect at once when the terms in force make mediation binding; otherwise both sides accept it.
"""
from __future__ import annotations

from datetime import date

from workspace.domain import ledger as ledger_rules
from workspace.domain.errors import Conflict, Forbidden, Invalid
from workspace.domain.milestones import APPROVED, CHANGES_REQUESTED, SUBMITTED
from workspace.domain.roles import CLIENT, FREELANCER, MEDIATOR

OPEN, RESOLVED, WITHDRAWN = "open", "resolved", "withdrawn"
STATES = (OPEN, RESOLVED, WITHDRAWN)
PENDING, ACCEPTED, SUPERSEDED, CLOSED = "pending", "accepted", "superseded", "closed"
AMOUNT, REVISION = "amount", "revision"
KINDS = (AMOUNT, REVISION)
REASON_MAX, NOTE_MAX = 5_000, 5_000

# The milestone states a dispute may be opened on (approved means approved and not yet paid).
DISPUTABLE = frozenset({SUBMITTED, CHANGES_REQUESTED, APPROVED})
PARTIES = frozenset({FREELANCER, CLIENT})

# action -> (roles that may, dispute states it applies to)
ACTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "open": (PARTIES, frozenset()),
    "propose": (PARTIES | {MEDIATOR}, frozenset({OPEN})),
    "accept": (PARTIES, frozenset({OPEN})),
    "withdraw": (PARTIES, frozenset({OPEN})),
}
ACTION_LABELS = {"open": "open a dispute", "propose": "propose a resolution", "accept": "accept a resolution",
                 "withdraw": "withdraw a dispute"}
WHO = {"open": "the freelancer or a client", "propose": "the freelancer, a client or the mediator",
       "accept": "the freelancer or a client", "withdraw": "the side that opened it"}


def check(action: str, role: str, dispute_state: str | None) -> None:
    """Forbidden for a role that may not act, Conflict for a dispute that is no longer open."""
    roles, states = ACTIONS[action]
    if role not in roles:
        raise Forbidden(f"Only {WHO[action]} can {ACTION_LABELS[action]}.")
    if states and dispute_state not in states:
        raise Conflict(f"This dispute is {dispute_state}; you cannot {ACTION_LABELS[action]} now.",
                       code="illegal_transition")


def check_open(role: str, milestone_state: str) -> None:
    check("open", role, None)
    if milestone_state not in DISPUTABLE:
        raise Conflict("Only a submitted milestone, one waiting for changes, or one approved and not yet paid "
                       "can be disputed.", code="illegal_transition")


def check_withdraw(role: str, dispute_state: str, opened_by_role: str) -> None:
    check("withdraw", role, dispute_state)
    if role != opened_by_role:
        raise Forbidden("Only the side that opened the dispute can withdraw it.")


def accepting_sides(proposer: str, binding_mediation: bool) -> frozenset[str]:
    """Whose acceptance a proposal needs: the other side's, both sides' for a mediator, none when the
    mediator's word binds."""
    if proposer == MEDIATOR:
        return frozenset() if binding_mediation else PARTIES
    return PARTIES - {proposer}


def check_accept(role: str, dispute_state: str, proposer: str, needed: frozenset[str], accepted: set[str]) -> None:
    check("accept", role, dispute_state)
    if role == proposer:
        raise Forbidden("You proposed this resolution; the other side accepts it.")
    if role not in needed:
        raise Conflict("This resolution does not need your acceptance.", code="illegal_transition")
    if role in accepted:
        raise Conflict("You already accepted this resolution.", code="already_accepted")


def check_resolution(kind: str, amount: int | None, due: date | None, *, milestone_amount: int,
                     milestone_state: str, today: date, deadline: date | None) -> None:
    """A proposal's terms, against the milestone it settles."""
    fields: dict[str, str] = {}
    if kind not in KINDS:
        fields["kind"] = "amount or revision."
    elif kind == AMOUNT:
        if amount is None or not 0 <= amount <= milestone_amount:
            fields["amount"] = f"A whole number of minor units from 0 to {milestone_amount}."
    else:
        if milestone_state == APPROVED:
            fields["kind"] = "An approved milestone is settled by an amount, not a new revision."
        elif due is None:
            fields["due"] = "A new due date is required."
        elif due < today:
            fields["due"] = "The new due date is in the past."
        elif deadline is not None and due > deadline:
            fields["due"] = "The new due date is after the job's deadline."
    if fields:
        raise Invalid("Please check the proposed resolution.", fields=fields)


def amount_entries(milestone_amount: int, awarded: int, milestone_state: str, deposits_left: int
                   ) -> list[ledger_rules.Entry]:
    """What an accepted amount posts: the unawarded part leaves the agreed total; for a milestone not
    yet approved the awarded part is earned now (upfront deposits first), for an approved one the
    unawarded part of what was earned is taken back from what the client owes (or becomes credit)."""
    released = milestone_amount - awarded
    memo = [("unbilled", -released), ("contract", released)]
    if milestone_state == APPROVED:
        return ledger_rules.check(memo + [("earned", released), ("client", -released)])
    return ledger_rules.check(memo + ledger_rules.milestone_approved(awarded, deposits_left))
