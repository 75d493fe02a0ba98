"""Invoices, credit notes and billing details over the API. Thin: services/invoices.py and
services/billing.py hold the rules."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from workspace.services import billing, invoices
from workspace.web.api import _pdf, authenticated
from workspace.web.http import actor, json_body

bp = Blueprint("api_invoices", __name__, url_prefix="/api/v1")


@bp.get("/jobs/<job_id>/invoices")
@authenticated
def list_invoices(job_id: str) -> Any:
    return jsonify({"invoices": invoices.list_invoices(actor(), job_id)})


@bp.get("/invoices/<int:invoice_id>")
@authenticated
def get_invoice(invoice_id: int) -> Any:
    return jsonify({"invoice": invoices.get_invoice(actor(), invoice_id)})


@bp.get("/invoices/<int:invoice_id>.pdf")
@authenticated
def invoice_pdf(invoice_id: int) -> Any:
    return _pdf(*invoices.invoice_pdf(actor(), invoice_id))


@bp.get("/me/billing")
@authenticated
def my_billing() -> Any:
    return jsonify({"billing": billing.get_mine(actor())})


@bp.put("/me/billing")
@authenticated
def put_my_billing() -> Any:
    return jsonify({"billing": billing.put_mine(actor(), json_body())})


@bp.get("/jobs/<job_id>/billing")
@authenticated
def job_billing(job_id: str) -> Any:
    return jsonify(billing.get_for_job(actor(), job_id))


@bp.put("/jobs/<job_id>/billing")
@authenticated
def put_job_billing(job_id: str) -> Any:
    return jsonify({"billing": billing.put_for_job(actor(), job_id, json_body())})
