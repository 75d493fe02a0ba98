"""Billing details: the freelancer's business details, tax rate and how to be paid, the client's billing
details; for the account, and per job where someone sets them (the job's override the account's).
Invoices copy them when issued, so a later change never rewrites an invoice."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import transaction, utcnow
from workspace.domain.errors import Invalid
from workspace.domain.invoices import RATE_MAX_BP, rate_label
from workspace.domain.roles import CLIENT, FREELANCER
from workspace.extensions import db
from workspace.models import BillingDetails, Job, Membership, User
from workspace.services.access import load_member

LIMITS = {"name": 200, "address": 1_000, "tax_id": 60, "value": 300, "label": 100}
METHOD_KINDS = {"iban": "Bank transfer (IBAN/SWIFT)", "paypal": "PayPal", "wise": "Wise", "link": "Payment link",
                "other": "Other"}
METHODS_MAX = 6
FIELDS = ("name", "address", "tax_id", "tax_rate_bp", "payment_methods")


def _text(body: dict[str, Any], field: str, errors: dict[str, str]) -> str | None:
    if field not in body or body[field] is None:
        return None
    value = body[field]
    if not isinstance(value, str) or len(value) > LIMITS[field] or "\x00" in value:
        errors[field] = f"Text up to {LIMITS[field]:,} characters."
        return None
    return value.strip()


def _methods(value: Any, errors: dict[str, str]) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > METHODS_MAX:
        errors["payment_methods"] = f"A list of up to {METHODS_MAX} ways to pay."
        return None
    methods = []
    for index, item in enumerate(value):
        place = f"payment_methods.{index}"
        if not isinstance(item, dict) or set(item) - {"kind", "value", "label"}:
            errors[place] = "Each way to pay has a kind, a value and an optional label."
            continue
        kind, text, label = item.get("kind"), item.get("value"), item.get("label") or ""
        if kind not in METHOD_KINDS:
            errors[f"{place}.kind"] = "One of: " + ", ".join(METHOD_KINDS) + "."
        elif not isinstance(text, str) or not text.strip() or len(text) > LIMITS["value"]:
            errors[f"{place}.value"] = f"Say where to pay (up to {LIMITS['value']} characters)."
        elif kind == "link" and not text.strip().startswith("https://"):
            errors[f"{place}.value"] = "A payment link starts with https://."
        elif not isinstance(label, str) or len(label) > LIMITS["label"]:
            errors[f"{place}.label"] = f"Up to {LIMITS['label']} characters."
        else:
            methods.append({"kind": kind, "value": text.strip(), "label": label.strip()})
    return methods


def validate(body: Any) -> dict[str, Any]:
    """The fields given (others keep their value); Invalid names every bad one."""
    if not isinstance(body, dict):
        raise Invalid("Send the billing details as an object.")
    errors: dict[str, str] = {}
    unknown = set(body) - set(FIELDS)
    for field in unknown:
        errors[str(field)[:60]] = "Unknown field."
    values: dict[str, Any] = {}
    for field in ("name", "address", "tax_id"):
        text = _text(body, field, errors)
        if text is not None:
            values[field] = text
    rate = body.get("tax_rate_bp")
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= RATE_MAX_BP:
            errors["tax_rate_bp"] = "The tax rate in basis points, 0 to 10000 (2000 is 20%)."
        else:
            values["tax_rate_bp"] = rate
    methods = _methods(body.get("payment_methods"), errors)
    if methods is not None:
        values["payment_methods"] = methods
    if errors:
        raise Invalid("Please check the billing details.", fields=errors)
    return values


def view(details: BillingDetails | None, *, job_specific: bool = False) -> dict[str, Any]:
    d = details
    rate = d.tax_rate_bp if d else 0
    return {
        "name": d.name if d else "", "address": d.address if d else "", "tax_id": d.tax_id if d else "",
        "tax_rate_bp": rate, "tax_rate": rate_label(rate),
        "payment_methods": [{**m, "kind_label": METHOD_KINDS.get(m.get("kind", ""), "Other")}
                            for m in (d.payment_methods if d else [])],
        "for_job": job_specific,
    }


def _row(session: Session, user_id: int, job_id: int | None) -> BillingDetails | None:
    query = select(BillingDetails).where(BillingDetails.user_id == user_id)
    query = query.where(BillingDetails.job_id.is_(None) if job_id is None else BillingDetails.job_id == job_id)
    return session.scalar(query)


def effective(session: Session, user_id: int, job_id: int) -> dict[str, Any]:
    """What applies to this person in this job: the job's details if they set some, else the account's."""
    row = _row(session, user_id, job_id)
    return view(row, job_specific=True) if row is not None else view(_row(session, user_id, None))


def _save(session: Session, user_id: int, job_id: int | None, values: dict[str, Any]) -> BillingDetails:
    row = _row(session, user_id, job_id)
    if row is None:
        base = _row(session, user_id, None) if job_id is not None else None
        start = {f: getattr(base, f) for f in FIELDS} if base is not None else {}
        row = BillingDetails(user_id=user_id, job_id=job_id, **{"name": "", "address": "", "tax_id": "",
                                                                "tax_rate_bp": 0, "payment_methods": [], **start})
        session.add(row)
    for field, value in values.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def get_mine(actor: User) -> dict[str, Any]:
    return view(_row(db.session(), actor.id, None))


def put_mine(actor: User, body: Any) -> dict[str, Any]:
    values = validate(body)
    with transaction() as tx:
        row = _save(tx.session, actor.id, None, values)
        result = view(row)
    return result


def get_for_job(actor: User, job_id: str) -> dict[str, Any]:
    """My details in this job, and the other side's as invoices will show them."""
    session = db.session()
    job, membership = load_member(session, actor, job_id)
    return {"mine": effective(session, actor.id, job.id), "freelancer": freelancer_details(session, job),
            "role": membership.role}


def put_for_job(actor: User, job_id: str, body: Any) -> dict[str, Any]:
    """Details for this job only (a client billing another company, a freelancer's other tax rate)."""
    values = validate(body)
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        if membership.role not in (FREELANCER, CLIENT):
            from workspace.domain.errors import Forbidden

            raise Forbidden("Only the freelancer and the clients have billing details in a job.")
        row = _save(tx.session, actor.id, job.id, values)
        result = view(row, job_specific=True)
    return result


def freelancer_details(session: Session, job: Job) -> dict[str, Any]:
    """The freelancer's details in this job (what clients see: where to pay, whom)."""
    freelancer = session.scalar(select(Membership.user_id).where(Membership.job_id == job.id,
                                                                 Membership.role == FREELANCER))
    if freelancer is None:  # pragma: no cover - every job has its freelancer
        return view(None)
    return effective(session, freelancer, job.id)
