"""Payments: the client records what they sent; the freelancer confirms receipt (or disputes it)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workspace.db import rowcount, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain import ledger as ledger_rules
from workspace.domain.errors import Conflict, Invalid
from workspace.domain.money import MAX_AMOUNT, PAYMENT_METHODS as METHODS, format_money
from workspace.extensions import db
from workspace.models import Agreement, Job, Membership, Payment, User
from workspace.services import idempotency, ledger
from workspace.services.access import load_in_job, load_member, require
from workspace.services.settlement import settle
from workspace.services.views import payment_view

PAYMENT_NOT_FOUND = "No such payment, or you are not a member of its job."


def _validate(amount: Any, method: Any, reference: Any, note: Any) -> tuple[int, str, str, str]:
    errors = {}
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = "A whole number of minor units above zero."
    elif amount > MAX_AMOUNT:
        errors["amount"] = "Too large."
    if not isinstance(method, str) or method not in METHODS:
        errors["method"] = "One of: " + ", ".join(METHODS) + "."
    reference = "" if reference is None else reference
    note = "" if note is None else note
    if not isinstance(reference, str) or len(reference) > 200:
        errors["reference"] = "Text up to 200 characters."
    if not isinstance(note, str) or len(note) > 1000:
        errors["note"] = "Text up to 1,000 characters."
    if errors:
        raise Invalid("Please check the payment.", fields=errors)
    return amount, method, reference.strip(), note.strip()


def pending_total(session: Session, job: Job) -> int:
    """Money sent and not yet confirmed (int: PostgreSQL's SUM gives a Decimal)."""
    return int(session.scalar(select(func.coalesce(func.sum(Payment.amount), 0))
                              .where(Payment.job_id == job.id, Payment.status == "sent")) or 0)


def record_payment(actor: User, job_id: str, amount: Any, method: Any, reference: Any = "", note: Any = "",
                   *, idempotency_key: Any) -> dict[str, Any]:
    """The client says they sent money; it counts once confirmed. More than is owed is refused."""
    key = idempotency.check_key(idempotency_key)
    amount, method, reference, note = _validate(amount, method, reference, note)
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "payment.send", "Only a client records payments.")
        claim = idempotency.Claim(tx.session, actor, key, "payment.sent", job.id, [amount, method, reference, note])
        if claim.prior is not None:
            return claim.prior
        agreement = tx.session.scalar(select(Agreement).where(Agreement.job_id == job.id,
                                                              Agreement.status == "in_force"))
        if agreement is None:
            raise Conflict("There is nothing to pay until terms are in force.")
        currency = agreement.terms["currency"]
        owed, pending = ledger.balances(tx.session, job.id)["owed"], pending_total(tx.session, job)
        if amount > owed - pending:
            left = max(0, owed - pending)
            raise Invalid(
                f"That is more than is owed: {format_money(left, currency)} can be paid now"
                + (f" ({format_money(pending, currency)} already sent, waiting for confirmation)." if pending else "."),
                fields={"amount": f"At most {format_money(left, currency)}."}, code="overpayment")
        payment = Payment(job_id=job.id, amount=amount, currency=currency, method=method, reference=reference,
                          note=note, sent_by_id=actor.id)
        tx.session.add(payment)
        tx.session.flush()
        result = {"payment": payment_view(tx.session, payment), "balances": ledger.balances(tx.session, job.id)}
        tx.record(job, ev.PAYMENT_SENT, result, actor)
        claim.remember(result, 201)
    return result


def _load_payment(session: Session, actor: User, payment_id: Any) -> tuple[Payment, Job, Membership]:
    return load_in_job(session, actor, Payment, payment_id, PAYMENT_NOT_FOUND, lock=True)


def _move(session: Session, payment: Payment, new: str, *, from_: tuple[str, ...] = ("sent",), **values: Any) -> None:
    changed = rowcount(session.execute(update(Payment).where(Payment.id == payment.id, Payment.status.in_(from_))
                              .values(status=new, **values).execution_options(synchronize_session=False)))
    if changed != 1:
        raise Conflict(f"This payment is already {payment.status}.", code="illegal_transition")
    session.refresh(payment)


CONFIRMABLE = ("sent", "disputed")  # a payment marked not received may still arrive (a slow transfer)


def confirm_payment(actor: User, payment_id: Any, *, idempotency_key: Any) -> dict[str, Any]:
    """The freelancer confirms the money arrived: it is posted to the ledger and pays milestones in order.

    Also for a payment they marked not received, once it arrives after all. Never past what is owed now:
    the client may have sent the money again meanwhile, and the ledger holds no negative debt."""
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        payment, job, membership = _load_payment(tx.session, actor, payment_id)
        claim = idempotency.Claim(tx.session, actor, key, "payment.confirm", payment.id)
        if claim.prior is not None:
            return claim.prior
        require(membership, "payment.confirm", "Only the freelancer confirms that money arrived.")
        if payment.status not in CONFIRMABLE:
            raise Conflict(f"This payment is already {payment.status}.", code="illegal_transition")
        owed = ledger.balances(tx.session, job.id)["owed"]
        if payment.amount > owed:
            keep = "leave this one marked not received" if payment.status == "disputed" else "mark this one not received"
            raise Conflict(
                f"Confirming {format_money(payment.amount, payment.currency)} would be more than is owed now "
                f"({format_money(owed, payment.currency)}): the client may have sent it again. If both arrived, "
                f"send the extra back and {keep}, saying so.", code="overpayment")
        _move(tx.session, payment, "confirmed", from_=CONFIRMABLE, confirmed_by_id=actor.id, confirmed_at=utcnow())
        ledger.post(tx.session, job, ledger_rules.PAYMENT, f"payment:{payment.id}",
                    ledger_rules.payment_confirmed(payment.amount))
        result = {"payment": payment_view(tx.session, payment), "balances": ledger.balances(tx.session, job.id)}
        tx.record(job, ev.PAYMENT_CONFIRMED, result, actor)
        settle(tx, job)
        result["balances"] = ledger.balances(tx.session, job.id)
        claim.remember(result)
    return result


def dispute_payment(actor: User, payment_id: Any, reason: Any) -> dict[str, Any]:
    """The freelancer says the money did not arrive (with a reason); nothing is posted."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise Invalid("Say what is wrong with this payment.", fields={"reason": "Required, up to 2,000 characters."})
    with transaction() as tx:
        payment, job, membership = _load_payment(tx.session, actor, payment_id)
        require(membership, "payment.confirm", "Only the freelancer can dispute a payment.")
        if payment.status != "sent":
            raise Conflict(f"This payment is already {payment.status}.", code="illegal_transition")
        _move(tx.session, payment, "disputed", dispute_reason=reason.strip())
        result = {"payment": payment_view(tx.session, payment), "balances": ledger.balances(tx.session, job.id)}
        tx.record(job, ev.PAYMENT_DISPUTED, result, actor)
    return result


def list_payments(actor: User, job_id: str) -> list[dict[str, Any]]:
    job, _membership = load_member(db.session(), actor, job_id)
    rows = db.session.scalars(select(Payment).where(Payment.job_id == job.id).order_by(Payment.id))
    return [payment_view(db.session(), p) for p in rows]


def load_payment_for_reading(actor: User, payment_id: Any) -> tuple[Payment, Job]:
    """A payment and its job, for members (receipts)."""
    payment, job, _membership = load_in_job(db.session(), actor, Payment, payment_id, PAYMENT_NOT_FOUND)
    return payment, job
