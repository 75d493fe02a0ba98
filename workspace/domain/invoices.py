"""Invoices and credit notes: their lines, the tax they include and how they are numbered (pure rules).

Agreed amounts are what the client pays, so an invoice's total is the agreed amount and the tax is the
part of it the freelancer's rate says it includes (rounded half up to the minor unit): the ledger, the
balances and the invoices never disagree about what is owed. One gap-free sequence per freelancer
numbers invoices and credit notes together (`INV-0007`, `CN-0008`).
"""
from __future__ import annotations

from typing import Any

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
PREFIX = {INVOICE: "INV", CREDIT_NOTE: "CN"}
RATE_MAX_BP = 10_000  # tax rates in basis points: 2000 = 20 %

Line = dict[str, Any]  # {"text": str, "amount": int} (signed minor units)


# What a stored `ref` ("milestone:7", "upfront:2", "dispute:3": the key that makes issuing idempotent)
# bills, in words from the ref alone: never its database id.
REF_KINDS = {"milestone": "Milestone", "upfront": "Advance", "dispute": "Dispute settlement"}


def ref_words(ref: str) -> str | None:
    kind, _, key = ref.partition(":")
    if kind == "upfront" and key.isdigit():
        return f"Advance under the terms of version {key}"
    return REF_KINDS.get(kind)


def number_label(kind: str, number: int) -> str:
    return f"{PREFIX[kind]}-{number:04d}"


def included_tax(gross: int, rate_bp: int) -> int:
    """The tax included in a gross amount at `rate_bp`, rounded half away from zero."""
    if rate_bp <= 0 or gross == 0:
        return 0
    denominator = RATE_MAX_BP + rate_bp
    magnitude = (abs(gross) * rate_bp * 2 + denominator) // (2 * denominator)
    return magnitude if gross > 0 else -magnitude


def rate_label(rate_bp: int) -> str:
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"


def milestone_lines(title: str, amount: int, advance_used: int) -> list[Line]:
    """A milestone's invoice: its amount, less the advance already invoiced that it uses."""
    lines: list[Line] = [{"text": f"Milestone “{title}”", "amount": amount}]
    if advance_used:
        lines.append({"text": "Less the advance already invoiced", "amount": -advance_used})
    return lines


def upfront_lines(amount: int, version: int) -> list[Line]:
    return [{"text": f"Advance payment under the terms of version {version}", "amount": amount}]


def credit_lines(title: str, released: int, reason: str) -> list[Line]:
    return [{"text": f"Credit for milestone “{title}”: {reason}", "amount": -released}]


def totals(lines: list[Line], rate_bp: int) -> dict[str, int]:
    total = sum(int(line["amount"]) for line in lines)
    tax = included_tax(total, rate_bp)
    return {"total": total, "tax": tax, "net": total - tax}
