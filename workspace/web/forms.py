"""HTML form fields to the API's JSON shapes (amounts typed in major units become minor units)."""
from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from workspace.domain.money import is_currency, parse_major, to_major

BLANK_MILESTONE = {"title": "", "amount": "", "due": "", "criteria": "", "revisions": 1}
DEFAULT_FORM: dict[str, Any] = {
    "scope": "", "deadline": "", "currency": "USD", "upfront_kind": "none", "upfront_amount": "",
    "update_every_hours": 24, "auto_approve_days": 7, "milestones": [dict(BLANK_MILESTONE)],
    "mediation_binding": False,
}


def read_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The agreement form as typed (strings), in the shape the template shows."""
    # Row numbers are what our own form sends (m-0-title ... m-49-title); anything else is ignored.
    indexes = sorted({int(k.split("-")[1]) for k in form if k.startswith("m-") and k.split("-")[1].isascii()
                      and k.split("-")[1].isdecimal() and len(k.split("-")[1]) <= 3})
    rows, blank = [], []
    for i in indexes:
        row = {f: (form.get(f"m-{i}-{f}") or "") for f in ("title", "amount", "due", "criteria", "revisions")}
        if any(row[f].strip() for f in ("title", "amount", "due", "criteria")):
            rows.append(row)  # rows the person never filled are dropped...
        else:
            blank.append(row)
    if not rows and blank:
        rows = blank[:1]  # ...unless none was filled: the first one's fields then say what it needs
    return {
        "scope": form.get("scope", ""),
        "deadline": (form.get("deadline") or "").strip(),
        "currency": (form.get("currency") or "").strip().upper(),
        "upfront_kind": form.get("upfront_kind", "none"),
        "upfront_amount": form.get("upfront_amount", ""),
        "update_every_hours": form.get("update_every_hours", ""),
        "auto_approve_days": form.get("auto_approve_days", ""),
        "milestones": rows,
        "mediation_binding": form.get("mediation_binding") == "yes",
    }


def terms_from_form(typed: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(terms for propose_agreement, errors found while converting amounts)."""
    errors: dict[str, str] = {}
    currency = typed["currency"]

    def amount(text: str, error_key: str) -> int | None:
        if not text.strip():
            errors[error_key] = "Give the amount."
            return None
        if not is_currency(currency):
            return None  # validation names the currency
        try:
            return parse_major(text, currency)
        except ValueError as exc:
            errors[error_key] = str(exc)
            return None

    milestones = [
        {
            "title": row["title"], "amount": amount(row["amount"], f"milestones.{i}.amount"),
            "due": row["due"].strip(), "criteria": row["criteria"].splitlines(),
            "revisions": _int_or_raw(row["revisions"]),
        }
        for i, row in enumerate(typed["milestones"])
    ]
    upfront: dict[str, Any] = {"kind": typed["upfront_kind"]}
    if upfront["kind"] == "portion":
        upfront["amount"] = amount(typed["upfront_amount"], "upfront.amount")
    terms = {
        "scope": typed["scope"], "deadline": typed["deadline"], "currency": currency, "upfront": upfront,
        "milestones": milestones, "update_every_hours": _int_or_raw(typed["update_every_hours"]),
        "auto_approve_days": _int_or_raw(typed["auto_approve_days"]),
    }
    if typed.get("mediation_binding"):  # an optional term: absent unless agreed (older terms keep their hash)
        terms["mediation_binding"] = True
    return terms, errors


def form_from_terms(terms: dict[str, Any]) -> dict[str, Any]:
    """Terms (minor units) back into what the form shows (major units), to start a new version."""
    currency = terms["currency"]
    upfront = terms["upfront"]
    return {
        "scope": terms["scope"], "deadline": terms["deadline"], "currency": currency,
        "upfront_kind": upfront["kind"],
        "upfront_amount": to_major(upfront["amount"], currency) if upfront["kind"] == "portion" else "",
        "update_every_hours": terms["update_every_hours"], "auto_approve_days": terms["auto_approve_days"],
        "milestones": [
            {"title": m["title"], "amount": to_major(m["amount"], currency), "due": m["due"],
             "criteria": "\n".join(m["criteria"]), "revisions": m["revisions"]}
            for m in terms["milestones"]
        ],
        "mediation_binding": bool(terms.get("mediation_binding")),
    }


def _int_or_raw(value: Any) -> Any:
    text = str(value if value is not None else "").strip()
    try:
        return int(text)
    except ValueError:
        return text or None
