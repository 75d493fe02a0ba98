"""PDF receipts (one per confirmed payment) and a statement of the whole job, for members only."""
from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workspace.db import utcnow
from workspace.domain.errors import Conflict
from workspace.domain.money import PAYMENT_METHODS, format_money
from workspace.green import run_blocking
from workspace.models import User
from workspace.services.disputes import list_disputes
from workspace.services.jobs import get_job
from workspace.services.payments import load_payment_for_reading

_styles = getSampleStyleSheet()


def _para(text: str, style: str = "BodyText") -> Paragraph:
    from xml.sax.saxutils import escape

    return Paragraph(escape(text), _styles[style])


def _table(rows: list[list[Any]], widths: list[float] | None = None, header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [("FONTSIZE", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey)]
    if header:
        style += [("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"), ("TEXTCOLOR", (0, 0), (-1, 0), colors.grey)]
    table.setStyle(TableStyle(style))
    return table


def _render(flowables: list[Any], title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="Workspace",
                            leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm)
    doc.build(flowables)
    return buffer.getvalue()


def _people(job: dict[str, Any], role: str) -> str:
    return ", ".join(m["name"] for m in job["members"] if m["role"] == role) or "—"


def receipt_pdf(actor: User, payment_id: Any) -> tuple[bytes, str]:
    """A receipt for one confirmed payment."""
    payment, job_row = load_payment_for_reading(actor, payment_id)
    if payment.status != "confirmed":
        raise Conflict("A receipt exists once the freelancer has confirmed the payment.")
    job = get_job(actor, job_row.public_id)
    money = format_money(payment.amount, payment.currency)
    flow = [
        _para("Payment receipt", "Title"),
        _para(f"Receipt no. {job_row.public_id}-{payment.id}", "Heading3"),
        Spacer(1, 4 * mm),
        _table([
            ["Job", job["title"]], ["Freelancer (received)", _people(job, "freelancer")],
            ["Client (paid)", _people(job, "client")], ["Amount", money],
            ["Method", PAYMENT_METHODS.get(payment.method, payment.method)], ["Reference", payment.reference or "—"],
            ["Sent", payment.sent_at.strftime("%d %b %Y %H:%M UTC")],
            ["Confirmed", payment.confirmed_at.strftime("%d %b %Y %H:%M UTC") if payment.confirmed_at else "—"],
        ], widths=[45 * mm, 120 * mm], header=False),
        Spacer(1, 6 * mm),
        _para(f"Balance after all confirmed payments: paid {format_money(job['balances']['paid'], payment.currency)}, "
              f"still owed {format_money(job['balances']['owed'], payment.currency)}."),
        Spacer(1, 4 * mm),
        _para(f"Issued {utcnow().strftime('%d %b %Y %H:%M UTC')} by Workspace. Amounts are in {payment.currency}.", "Italic"),
    ]
    return run_blocking(_render, flow, f"Receipt {money}"), f"receipt-{job_row.public_id}-{payment.id}.pdf"


PAYMENT_STATUS = {"sent": "sent, unconfirmed", "confirmed": "confirmed", "disputed": "not received"}


def _disputes_table(actor: User, job_id: str) -> list[list[str]]:
    """Every dispute of the job: its milestone, when and by whom it was opened, how it ended."""
    rows: list[list[Any]] = [["Opened", "Milestone", "By", "State", "Outcome"]]
    for d in list_disputes(actor, job_id):
        accepted = next((p for p in d["proposals"] if p["state"] == "accepted"), None)
        outcome = ("—" if accepted is None else f"{accepted['amount_display']} to the freelancer"
                   if accepted["kind"] == "amount" else f"new due date {accepted['due']}")
        rows.append([d["opened_at"][:10], _para(d["milestone_title"]), d["opened_by_role"], d["state"], _para(outcome)])
    return rows


def statement_pdf(actor: User, job_id: str) -> tuple[bytes, str]:
    """Every milestone, payment, invoice and dispute of a job, with the balances."""
    job = get_job(actor, job_id)
    agreement = job["agreement"]
    if agreement is None:
        raise Conflict("A statement exists once terms are in force.")
    currency = agreement["terms"]["currency"]
    b = job["balances"]
    milestones = [["#", "Milestone", "Amount", "State", "Approved", "Paid"]] + [
        [str(m["position"] + 1), m["title"], format_money(m["amount"], currency), m["state"].replace("_", " "),
         (m["approved_at"] or "")[:10], (m["paid_at"] or "")[:10]] for m in job["milestones"]]
    payments = [["Date", "Amount", "Method", "Reference", "Status"]] + [
        [p["sent_at"][:10], format_money(p["amount"], currency), p["method_label"], p["reference"] or "—",
         PAYMENT_STATUS.get(p["status"], p["status"])] for p in job["payments"]]
    invoices = [["Number", "Issued", "Kind", "Total"]] + [
        [i["number"], i["issued_at"][:10], i["kind"].replace("_", " "), i["display"]["total"]]
        for i in reversed(job["invoices"])]
    disputes = _disputes_table(actor, job_id)
    flow = [
        _para("Statement", "Title"), _para(job["title"], "Heading2"),
        _para(f"Freelancer: {_people(job, 'freelancer')} · Client: {_people(job, 'client')} · "
              f"Agreement version {agreement['version']} · Status: {job['status']}"),
        Spacer(1, 4 * mm), _para("Milestones", "Heading3"),
        _table(milestones, widths=[8 * mm, 62 * mm, 30 * mm, 26 * mm, 22 * mm, 22 * mm]),
        Spacer(1, 4 * mm), _para("Payments", "Heading3"),
        _table(payments if len(payments) > 1 else payments + [["—", "", "", "", ""]],
               widths=[24 * mm, 32 * mm, 30 * mm, 54 * mm, 30 * mm]),
        *([Spacer(1, 4 * mm), _para("Invoices and credit notes", "Heading3"),
           _table(invoices, widths=[40 * mm, 30 * mm, 40 * mm, 40 * mm])] if len(invoices) > 1 else []),
        *([Spacer(1, 4 * mm), _para("Disputes", "Heading3"),
           _table(disputes, widths=[24 * mm, 56 * mm, 24 * mm, 22 * mm, 44 * mm])] if len(disputes) > 1 else []),
        Spacer(1, 4 * mm), _para("Balances", "Heading3"),
        _table([[label, format_money(b[key], currency)] for label, key in (
            ("Agreed total", "agreed"), ("Up front requested", "upfront_requested"), ("Approved", "approved"),
            ("Paid (confirmed)", "paid"), ("Owed now", "owed"), ("Credit", "credit"))],
            widths=[45 * mm, 40 * mm], header=False),
        Spacer(1, 4 * mm),
        _para(f"Issued {utcnow().strftime('%d %b %Y %H:%M UTC')} by Workspace.", "Italic"),
    ]
    return run_blocking(_render, flow, f"Statement {job['title']}"), f"statement-{job_id}.pdf"
