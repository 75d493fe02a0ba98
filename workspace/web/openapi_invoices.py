"""OpenAPI paths of web/api_invoices.py (merged into the document by web/openapi.py)."""
from __future__ import annotations

from typing import Any


def invoice_paths() -> dict[str, Any]:
    from workspace.domain.invoices import RATE_MAX_BP
    from workspace.services.billing import LIMITS, METHOD_KINDS, METHODS_MAX
    from workspace.web.openapi import ID, JOB_ID, PDF, _in, _obj, _ok, _op, _path, _text  # openapi imports this

    line = _obj(["text", "amount", "display"], text={"type": "string"},
                amount={"type": "integer", "description": "minor units; negative on a credit note"},
                display={"type": "string"})
    party = {"type": "object", "description": "the party's details as they were when it was issued"}
    invoice = _obj(["id", "number", "kind", "ref", "currency", "lines", "total", "tax", "net", "tax_rate_bp"],
                   id={"type": "integer"}, number={"type": "string", "description": "INV-0001 or CN-0002"},
                   sequence={"type": "integer", "description": "gap-free per freelancer, invoices and credit notes"},
                   kind={"type": "string", "enum": ["invoice", "credit_note"]}, ref={"type": "string"},
                   job={"type": "string"}, currency={"type": "string"}, issued_at={"type": "string", "format": "date-time"},
                   lines={"type": "array", "items": line},
                   total={"type": "integer", "description": "tax included (agreed amounts are what the client pays)"},
                   tax={"type": "integer"}, net={"type": "integer"}, tax_rate_bp={"type": "integer"},
                   tax_rate={"type": "string"}, display={"type": "object"}, seller=party, buyer=party,
                   pdf_url={"type": "string"})
    method = _in(["kind", "value"], kind={"type": "string", "enum": list(METHOD_KINDS)},
                 value=_text(LIMITS["value"], filled=True), label=_text(LIMITS["label"], nullable=True))
    details_in = _in([], name=_text(LIMITS["name"], nullable=True), address=_text(LIMITS["address"], nullable=True),
                     tax_id=_text(LIMITS["tax_id"], nullable=True),
                     tax_rate_bp={"type": ["integer", "null"], "minimum": 0, "maximum": RATE_MAX_BP,
                                  "description": "the freelancer's tax rate in basis points (2000 = 20%), "
                                                 "included in the agreed amounts"},
                     payment_methods={"type": ["array", "null"], "items": method, "maxItems": METHODS_MAX,
                                      "description": "how to be paid, shown to clients when they record a payment"})
    details = _obj(["name", "address", "tax_id", "tax_rate_bp", "payment_methods"], name={"type": "string"},
                   address={"type": "string"}, tax_id={"type": "string"}, tax_rate_bp={"type": "integer"},
                   tax_rate={"type": "string"}, payment_methods={"type": "array", "items": {"type": "object"}},
                   for_job={"type": "boolean"})
    billing = _obj(["billing"], billing=details)
    invoice_id = _path("invoice_id", ID)
    return {
        "/jobs/{job_id}/invoices": {"get": _op("Invoices and credit notes of a job, by number", {
            **_ok("200", "OK", _obj(["invoices"], invoices={"type": "array", "items": invoice}))}, params=[JOB_ID])},
        "/invoices/{invoice_id}": {"get": _op("One invoice or credit note", {
            **_ok("200", "OK", _obj(["invoice"], invoice=invoice))}, params=[invoice_id])},
        "/invoices/{invoice_id}.pdf": {"get": _op("An invoice or credit note as a PDF", {**PDF},
                                                  params=[invoice_id])},
        "/me/billing": {
            "get": _op("My account's billing details", {**_ok("200", "OK", billing)}),
            "put": _op("Change my account's billing details (fields left out keep their value)", {
                **_ok("200", "Saved", billing)}, body=details_in),
        },
        "/jobs/{job_id}/billing": {
            "get": _op("My billing details in this job, and the freelancer's (where to pay)", {
                **_ok("200", "OK", _obj(["mine", "freelancer"], mine=details, freelancer=details,
                                        role={"type": "string"}))}, params=[JOB_ID]),
            "put": _op("Billing details for this job only", {**_ok("200", "Saved", billing),
                                                             **_errors_403()}, params=[JOB_ID], body=details_in),
        },
    }


def _errors_403() -> dict[str, Any]:
    from workspace.web.openapi import _errors

    return _errors(403)
