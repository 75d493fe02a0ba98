"""Posting to a job's ledger (inside the caller's transaction) and reading it back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import iso
from workspace.domain import ledger as rules
from workspace.domain.ledger import Entry
from workspace.extensions import db
from workspace.models import Job, LedgerEntry, LedgerTransaction, User
from workspace.services.access import load_member


def post(session: Session, job: Job, kind: str, ref: str, entries: list[Entry]) -> LedgerTransaction | None:
    """Write one balanced transaction (nothing when every entry is zero)."""
    entries = rules.check(entries)
    if not entries:
        return None
    transaction = LedgerTransaction(job_id=job.id, kind=kind, ref=ref)
    session.add(transaction)
    session.flush()
    session.add_all(LedgerEntry(transaction_id=transaction.id, account=a, amount=n) for a, n in entries)
    session.flush()
    return transaction


def transactions(session: Session, job_id: int) -> list[tuple[LedgerTransaction, list[Entry]]]:
    rows = session.execute(
        select(LedgerTransaction, LedgerEntry).join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.job_id == job_id).order_by(LedgerTransaction.id, LedgerEntry.id)
    ).all()
    grouped: dict[int, tuple[LedgerTransaction, list[Entry]]] = {}
    for tx, entry in rows:
        grouped.setdefault(tx.id, (tx, []))[1].append((entry.account, entry.amount))
    return list(grouped.values())


def balances(session: Session, job_id: int) -> dict[str, int]:
    return rules.balances((tx.kind, entries) for tx, entries in transactions(session, job_id))


def balances_of_jobs(session: Session, job_ids: list[int]) -> dict[int, dict[str, int]]:
    """Balances of many jobs in one query (sums per kind and account are all balances need)."""
    from sqlalchemy import func

    rows = session.execute(
        select(LedgerTransaction.job_id, LedgerTransaction.kind, LedgerEntry.account, func.sum(LedgerEntry.amount))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.job_id.in_(job_ids))
        .group_by(LedgerTransaction.job_id, LedgerTransaction.kind, LedgerEntry.account)
    ).all()
    sums: dict[int, list[tuple[str, list[Entry]]]] = {job_id: [] for job_id in job_ids}
    for job_id, kind, account, total in rows:
        sums[job_id].append((kind, [(account, int(total))]))  # int: PostgreSQL's SUM is a Decimal
    return {job_id: rules.balances(parts) for job_id, parts in sums.items()}


def get_ledger(actor: User, job_id: str) -> dict[str, Any]:
    """Every transaction with its entries, and the balances recomputed from them."""
    job, _membership = load_member(db.session(), actor, job_id)
    rows = transactions(db.session(), job.id)
    return {
        "transactions": [
            {"id": tx.id, "kind": tx.kind, "ref": tx.ref, "at": iso(tx.at),
             "entries": [{"account": a, "amount": n} for a, n in entries]}
            for tx, entries in rows
        ],
        "balances": rules.balances((tx.kind, entries) for tx, entries in rows),
    }
