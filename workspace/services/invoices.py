"""Issuing invoices and credit notes inside the transaction of what they bill (an approval, an advance,
a dispute's resolution), and reading them back as JSON or PDF. The number comes from the freelancer's
counter (`UPDATE users ... RETURNING`), so a rolled-back approval takes its number back with it and two
approvals at once wait for each other: no gaps, no twins."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workspace.db import Transaction, iso, utcnow
from workspace.domain import invoices as rules
from workspace.domain.money import format_money
from workspace.domain.roles import CLIENT, FREELANCER
from workspace.extensions import db
from workspace.models import Dispute, Invoice, Job, Membership, Milestone, User
from workspace.services import billing
from workspace.services.access import load_in_job, load_member

INVOICE_NOT_FOUND = "No such invoice, or you are not a member of its job."


def _next_number(session: Session, freelancer_id: int) -> int:
    return int(session.execute(update(User).where(User.id == freelancer_id)
                               .values(last_invoice_number=User.last_invoice_number + 1)
                               .returning(User.last_invoice_number)).scalar_one())


def _parties(session: Session, job: Job) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """(freelancer id, seller, buyer) as they are now: names, business details, billing details."""
    rows = session.execute(select(Membership.user_id, Membership.role, User.name, User.email)
                           .join(User, User.id == Membership.user_id)
                           .where(Membership.job_id == job.id, Membership.role.in_((FREELANCER, CLIENT)))
                           .order_by(Membership.id)).all()
    freelancer = next(r for r in rows if r.role == FREELANCER)
    seller = {"person": freelancer.name, **_details(billing.effective(session, freelancer.user_id, job.id))}
    clients = [r for r in rows if r.role == CLIENT]
    first = clients[0] if clients else None
    buyer = {"person": ", ".join(r.name for r in clients) or "—",
             **_details(billing.effective(session, first.user_id, job.id) if first else billing.view(None))}
    return freelancer.user_id, seller, buyer


def _details(view: dict[str, Any]) -> dict[str, Any]:
    keep = {k: view[k] for k in ("name", "address", "tax_id", "tax_rate_bp")}
    keep["payment_methods"] = [{k: m[k] for k in ("kind", "value", "label")} for m in view["payment_methods"]]
    return keep


def issue(tx: Transaction, job: Job, kind: str, ref: str, currency: str, lines: list[rules.Line]) -> Invoice:
    """One invoice or credit note, numbered now, with the parties' details as they are today."""
    session = tx.session
    freelancer_id, seller, buyer = _parties(session, job)
    rate = int(seller["tax_rate_bp"])
    figures = rules.totals(lines, rate)
    invoice = Invoice(job_id=job.id, freelancer_id=freelancer_id, number=_next_number(session, freelancer_id),
                      kind=kind, ref=ref, currency=currency, lines=lines, total=figures["total"],
                      tax_rate_bp=rate if figures["tax"] else 0, tax=figures["tax"], seller=seller, buyer=buyer,
                      issued_at=utcnow())
    session.add(invoice)
    session.flush()
    return invoice


def for_milestone(tx: Transaction, job: Job, milestone_id: int, title: str, amount: int, currency: str,
                  advance_used: int) -> Invoice:
    return issue(tx, job, rules.INVOICE, f"milestone:{milestone_id}", currency,
                 rules.milestone_lines(title, amount, advance_used))


def for_advance(tx: Transaction, job: Job, version: int, delta: int, currency: str) -> Invoice:
    """An advance asked for (or, when the terms lower it, credited back)."""
    if delta > 0:
        return issue(tx, job, rules.INVOICE, f"upfront:{version}", currency, rules.upfront_lines(delta, version))
    return issue(tx, job, rules.CREDIT_NOTE, f"upfront:{version}", currency,
                 [{"text": f"Advance lowered by the terms of version {version}", "amount": delta}])


def credit_for_dispute(tx: Transaction, job: Job, dispute_id: int, title: str, released: int, currency: str
                       ) -> Invoice:
    return issue(tx, job, rules.CREDIT_NOTE, f"dispute:{dispute_id}", currency,
                 rules.credit_lines(title, released, "settled in a dispute"))


def invoice_view(invoice: Invoice, job_public_id: str) -> dict[str, Any]:
    label = rules.number_label(invoice.kind, invoice.number)
    money = lambda amount: format_money(amount, invoice.currency)  # noqa: E731
    return {
        "id": invoice.id, "number": label, "sequence": invoice.number, "kind": invoice.kind, "ref": invoice.ref,
        "job": job_public_id, "currency": invoice.currency, "issued_at": iso(invoice.issued_at),
        "lines": [{**line, "display": money(int(line["amount"]))} for line in invoice.lines],
        "total": invoice.total, "tax": invoice.tax, "net": invoice.total - invoice.tax,
        "tax_rate_bp": invoice.tax_rate_bp, "tax_rate": rules.rate_label(invoice.tax_rate_bp),
        "display": {"total": money(invoice.total), "tax": money(invoice.tax), "net": money(invoice.total - invoice.tax)},
        "seller": invoice.seller, "buyer": invoice.buyer,
        "pdf_url": f"/api/v1/invoices/{invoice.id}.pdf",
    }


def list_invoices(actor: User, job_id: str) -> list[dict[str, Any]]:
    job, _membership = load_member(db.session(), actor, job_id)
    rows = db.session.scalars(select(Invoice).where(Invoice.job_id == job.id).order_by(Invoice.number))
    return [invoice_view(i, job.public_id) for i in rows]


def get_invoice(actor: User, invoice_id: Any) -> dict[str, Any]:
    invoice, job, _membership = load_in_job(db.session(), actor, Invoice, invoice_id, INVOICE_NOT_FOUND)
    return invoice_view(invoice, job.public_id)


def latest_open_reference(session: Session, job: Job) -> str | None:
    """The number a client quotes when paying: the newest invoice of the job."""
    number = session.execute(select(Invoice.kind, Invoice.number).where(Invoice.job_id == job.id,
                                                                        Invoice.kind == rules.INVOICE)
                             .order_by(Invoice.number.desc()).limit(1)).first()
    return rules.number_label(number.kind, number.number) if number else None


def _milestone_label(milestone: Milestone | None) -> str | None:
    return f"Milestone {milestone.position + 1} “{milestone.title}”" if milestone is not None else None


def subject_label(session: Session, job: Job, ref: str) -> str | None:
    """What an invoice bills, in words ("Milestone 2 “Concepts”"), from its stored `ref` ("milestone:7",
    "upfront:2", "dispute:3": the key that makes issuing idempotent, with a database id people never see)."""
    kind, _, key = ref.partition(":")
    if not key.isdigit():
        return None
    if kind == "milestone":
        return _milestone_label(session.scalar(select(Milestone).where(Milestone.id == int(key),
                                                                       Milestone.job_id == job.id)))
    if kind == "dispute":
        dispute = session.scalar(select(Dispute).where(Dispute.id == int(key), Dispute.job_id == job.id))
        label = _milestone_label(session.get(Milestone, dispute.milestone_id) if dispute is not None else None)
        if label:
            return f"Dispute over {label[0].lower()}{label[1:]}"
    return rules.ref_words(ref)


def invoice_pdf(actor: User, invoice_id: Any) -> tuple[bytes, str]:
    from workspace.services.invoice_pdf import render

    session = db.session()
    invoice, job, _membership = load_in_job(session, actor, Invoice, invoice_id, INVOICE_NOT_FOUND)
    view = invoice_view(invoice, job.public_id)
    # The stored invoice stays as issued; the PDF names the job and what it bills in words.
    pdf = render(view, job_title=job.title, subject=subject_label(session, job, invoice.ref))
    return pdf, f"{view['number']}.pdf"
