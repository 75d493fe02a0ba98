"""Double-entry money for one job: postings whose entries sum to zero, and balances from entries only.

Accounts (signed integer minor units, debit positive):
- client    what the client owes now (debit) — payments and upfront requests move it
- cash      money the freelancer confirmed receiving
- deposits  upfront money requested and not yet used up by approved milestones (credit balance)
- earned    value of approved milestones (credit balance)
- contract / unbilled   memo pair holding the agreed total
"""
from __future__ import annotations

from typing import Iterable

Entry = tuple[str, int]
ACCOUNTS = ("client", "cash", "deposits", "earned", "contract", "unbilled")


def check(entries: list[Entry]) -> list[Entry]:
    """Refuse a posting that does not balance or names an unknown account (a bug, never user input)."""
    if sum(amount for _account, amount in entries) != 0:
        raise ValueError(f"unbalanced posting: {entries}")
    unknown = [a for a, _ in entries if a not in ACCOUNTS]
    if unknown:
        raise ValueError(f"unknown accounts: {unknown}")
    return [(a, n) for a, n in entries if n != 0]


def agreement_in_force(old_total: int, new_total: int, old_upfront: int, new_upfront: int) -> list[Entry]:
    """A version came into force: the agreed total and the upfront request move by their deltas."""
    d_total, d_upfront = new_total - old_total, new_upfront - old_upfront
    return check([("unbilled", d_total), ("contract", -d_total), ("client", d_upfront), ("deposits", -d_upfront)])


def milestone_approved(amount: int, deposits_left: int) -> list[Entry]:
    """Approval earns the amount; upfront deposits are used first, the rest becomes owed."""
    from_deposits = max(0, min(amount, deposits_left))
    return check([("deposits", from_deposits), ("client", amount - from_deposits), ("earned", -amount)])


def payment_confirmed(amount: int) -> list[Entry]:
    return check([("cash", amount), ("client", -amount)])


AGREEMENT, APPROVAL, PAYMENT = "agreement.in_force", "milestone.approved", "payment.confirmed"
RESOLUTION = "dispute.resolved"  # an accepted dispute resolution (domain/disputes.amount_entries)
KINDS = (AGREEMENT, APPROVAL, PAYMENT, RESOLUTION)


def balances(transactions: Iterable[tuple[str, Iterable[Entry]]]) -> dict[str, int]:
    """Every figure people see, recomputed from the transactions' entries alone."""
    total = dict.fromkeys(ACCOUNTS, 0)
    upfront_requested = 0
    for kind, entries in transactions:
        for account, amount in entries:
            total[account] += amount
            if kind == AGREEMENT and account == "deposits":
                upfront_requested -= amount  # requests credit deposits; a lowered request debits them
    paid, approved = total["cash"], -total["earned"]
    return {
        "agreed": -total["contract"],
        "upfront_requested": upfront_requested,
        "upfront_paid": min(upfront_requested, paid),
        "approved": approved,
        "paid": paid,
        "owed": max(0, total["client"]),
        "credit": max(0, paid - approved),
        "deposits_left": -total["deposits"],
    }
