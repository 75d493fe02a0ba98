"""Agreement terms: validation with per-field messages, the canonical hash, totals and the diff."""
from __future__ import annotations

import difflib
import hashlib
import json
from datetime import date, datetime, time, timezone
from typing import Any

from workspace.domain.errors import Invalid
from workspace.domain.money import MAX_AMOUNT, format_money, is_currency

UPFRONT_KINDS = ("none", "portion", "all")
LIMITS = {
    "scope": 20_000, "title": 200, "criterion": 300, "criteria": 20, "milestones": 50,
    "revisions": 20, "update_every_hours": 24 * 30, "auto_approve_days": 90,
}


def _int(value: Any) -> int | None:
    """An integer, or None for anything else (bools and floats included: money is never a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def validate_terms(raw: Any, today: date, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return normalized terms, or raise Invalid naming every bad field.

    Neither the deadline nor a milestone may be due in the past, except a milestone that keeps the due
    date it has in `current` (the terms in force, by position): new terms proposed mid-job carry the
    milestones already delivered with the dates they had.
    """
    if not isinstance(raw, dict):
        raise Invalid("The terms must be an object.")
    errors: dict[str, str] = {}

    scope = _text(raw.get("scope"))
    if not scope:
        errors["scope"] = "Describe the scope of the work."
    elif len(scope) > LIMITS["scope"]:
        errors["scope"] = f"Keep the scope under {LIMITS['scope']:,} characters."

    deadline = _date(raw.get("deadline"))
    if deadline is None:
        errors["deadline"] = "Give the deadline as a date (YYYY-MM-DD)."
    elif deadline < today:
        errors["deadline"] = "The deadline cannot be in the past."

    currency = raw.get("currency")
    currency = currency.strip().upper() if isinstance(currency, str) else currency
    if not is_currency(currency):
        errors["currency"] = "Choose a currency by its ISO 4217 code, e.g. EUR or USD."
        currency = None

    kept = [m.get("due") for m in (current or {}).get("milestones", []) if isinstance(m, dict)]
    milestones = _validate_milestones(raw.get("milestones"), deadline, errors, today, kept)
    total = sum(m["amount"] for m in milestones)
    if milestones and total > MAX_AMOUNT:
        errors["milestones"] = "The total is too large."

    upfront = _validate_upfront(raw.get("upfront"), total, currency, errors)

    hours = _int(raw.get("update_every_hours"))
    if hours is None or not 1 <= hours <= LIMITS["update_every_hours"]:
        errors["update_every_hours"] = (
            f"Promise an update every 1 to {LIMITS['update_every_hours']} hours."
        )
    days = _int(raw.get("auto_approve_days"))
    if days is None or not 1 <= days <= LIMITS["auto_approve_days"]:
        errors["auto_approve_days"] = (
            f"Give the client 1 to {LIMITS['auto_approve_days']} days to review a submission."
        )

    binding = raw.get("mediation_binding")
    if binding is not None and not isinstance(binding, bool):
        errors["mediation_binding"] = "Say yes or no: does a mediator's resolution bind both sides?"

    if errors:
        raise Invalid("Some terms need attention.", fields=errors)
    assert deadline is not None and currency is not None
    terms = {
        "scope": scope,
        "deadline": deadline.isoformat(),
        "currency": currency,
        "upfront": upfront,
        "milestones": milestones,
        "update_every_hours": hours,
        "auto_approve_days": days,
    }
    if binding:  # only when agreed, so terms without it keep the hash they always had
        terms["mediation_binding"] = True
    return terms


def _validate_milestones(raw: Any, deadline: date | None, errors: dict[str, str], today: date,
                         kept: list[Any]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors["milestones"] = "Plan at least one milestone."
        return []
    if len(raw) > LIMITS["milestones"]:
        errors["milestones"] = f"Plan at most {LIMITS['milestones']} milestones."
        return []
    result = []
    for i, item in enumerate(raw):
        key = f"milestones.{i}"
        if not isinstance(item, dict):
            errors[key] = "Each milestone needs a title, an amount and a due date."
            continue
        title = _text(item.get("title"))
        if not title:
            errors[f"{key}.title"] = "Give the milestone a title."
        elif len(title) > LIMITS["title"]:
            errors[f"{key}.title"] = f"Keep the title under {LIMITS['title']} characters."
        amount = _int(item.get("amount"))
        if amount is None or amount <= 0:
            errors[f"{key}.amount"] = "The amount must be a whole number of minor units above zero."
        elif amount > MAX_AMOUNT:
            errors[f"{key}.amount"] = "The amount is too large."
        due = _date(item.get("due"))
        if due is None:
            errors[f"{key}.due"] = "Give the due date as a date (YYYY-MM-DD)."
        elif due < today and not (i < len(kept) and kept[i] == due.isoformat()):
            errors[f"{key}.due"] = "A milestone cannot be due in the past."
        elif deadline is not None and due > deadline:
            errors[f"{key}.due"] = "A milestone cannot be due after the deadline."
        criteria = _validate_criteria(item.get("criteria", []), key, errors)
        revisions = item.get("revisions", 1)
        revisions = _int(revisions)
        if revisions is None or not 0 <= revisions <= LIMITS["revisions"]:
            errors[f"{key}.revisions"] = f"Include 0 to {LIMITS['revisions']} revision rounds."
        result.append({
            "title": title or "", "amount": amount if isinstance(amount, int) and amount > 0 else 0,
            "due": due.isoformat() if due else "", "criteria": criteria, "revisions": revisions or 0,
        })
    return result


def _validate_criteria(raw: Any, key: str, errors: dict[str, str]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        errors[f"{key}.criteria"] = "Acceptance criteria are a list of short lines."
        return []
    criteria = [c.strip() for c in raw if c.strip()]
    if len(criteria) > LIMITS["criteria"]:
        errors[f"{key}.criteria"] = f"Keep to {LIMITS['criteria']} criteria or fewer."
    elif any(len(c) > LIMITS["criterion"] for c in criteria):
        errors[f"{key}.criteria"] = f"Keep each criterion under {LIMITS['criterion']} characters."
    return criteria


def _validate_upfront(raw: Any, total: int, currency: str | None, errors: dict[str, str]) -> dict[str, Any]:
    if raw is None:
        raw = {"kind": "none"}
    if not isinstance(raw, dict) or raw.get("kind") not in UPFRONT_KINDS:
        errors["upfront.kind"] = "Up front is one of: none, portion, all."
        return {"kind": "none", "amount": 0}
    kind = raw["kind"]
    if kind == "none":
        return {"kind": "none", "amount": 0}
    if kind == "all":
        return {"kind": "all", "amount": total}
    amount = _int(raw.get("amount"))
    if amount is None or amount <= 0:
        errors["upfront.amount"] = "Say how much is due up front, in minor units above zero."
    elif total and amount >= total:
        shown = format_money(total, currency) if currency else str(total)
        errors["upfront.amount"] = (
            f"A portion must be less than the total ({shown}); to ask for all of it up front, choose Everything."
        )
    return {"kind": "portion", "amount": amount or 0}


def terms_hash(terms: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of normalized terms: what an acceptance signs."""
    canonical = json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def total(terms: dict[str, Any]) -> int:
    return sum(m["amount"] for m in terms["milestones"])


def upfront_due(terms: dict[str, Any]) -> int:
    return int(terms["upfront"]["amount"])


def due_at(day: date) -> datetime:
    """The moment an agreed day (the deadline, a milestone's due date) ends: work is due by the end
    of that day on the server's clock (UTC). Pages show this moment in each viewer's time zone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def diff_terms(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """What changes from `old` (in force) to `new`, as rows a person can read side by side. A value is
    text, a `date` (an agreed day) or a list of both (a milestone): the page shows days as due dates in
    the viewer's time zone, like every other date."""
    rows: list[dict[str, Any]] = []

    def row(label: str, before: Any, after: Any) -> None:
        rows.append({"field": label, "before": before, "after": after, "changed": before != after})

    o = old or {}
    cur_old, cur_new = o.get("currency"), new["currency"]

    def money(value: int | None, currency: str | None) -> str | None:
        return None if value is None or currency is None else format_money(value, currency)

    row("Deadline", _day(o.get("deadline")), _day(new["deadline"]))
    row("Currency", cur_old, cur_new)
    row("Total", money(total(o), cur_old) if o else None, money(total(new), cur_new))
    row("Up front", _upfront_label(o.get("upfront"), cur_old), _upfront_label(new["upfront"], cur_new))
    row("Update at least every", _hours(o.get("update_every_hours")), _hours(new["update_every_hours"]))
    row("Review window", _days(o.get("auto_approve_days")), _days(new["auto_approve_days"]))
    row("Mediator's resolution", _mediation_label(old), _mediation_label(new))
    old_ms, new_ms = o.get("milestones", []), new["milestones"]
    for i in range(max(len(old_ms), len(new_ms))):
        a = old_ms[i] if i < len(old_ms) else None
        b = new_ms[i] if i < len(new_ms) else None
        row(f"Milestone {i + 1}", _milestone_label(a, cur_old), _milestone_label(b, cur_new))
    return rows


def _mediation_label(terms: dict[str, Any] | None) -> str | None:
    if terms is None:
        return None
    return "Binds both sides" if terms.get("mediation_binding") else "A proposal both sides accept"


def scope_diff(old: str | None, new: str) -> list[tuple[str, str]]:
    """Line diff of the scope: (op, line) with op in ' ', '+', '-'."""
    result = []
    for line in difflib.ndiff((old or "").splitlines(), new.splitlines()):
        if line.startswith("? "):
            continue
        result.append((line[0], line[2:]))
    return result


def _upfront_label(upfront: dict[str, Any] | None, currency: str | None) -> str | None:
    if upfront is None or currency is None:
        return None
    if upfront["kind"] == "none":
        return "Nothing up front"
    label = "Everything up front" if upfront["kind"] == "all" else "A portion up front"
    return f"{label}: {format_money(upfront['amount'], currency)}"


def _hours(value: int | None) -> str | None:
    return None if value is None else f"{value} hour{'s' if value != 1 else ''}"


def _days(value: int | None) -> str | None:
    return None if value is None else f"{value} day{'s' if value != 1 else ''}"


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _milestone_label(m: dict[str, Any] | None, currency: str | None) -> list[str | date] | None:
    if m is None or currency is None:
        return None
    rest = [f"{m['revisions']} revision round{'s' if m['revisions'] != 1 else ''}"]
    if m["criteria"]:
        rest.append("criteria: " + "; ".join(m["criteria"]))
    return [f"{m['title']} — {format_money(m['amount'], currency)}, due ", date.fromisoformat(m["due"]),
            " · " + " · ".join(rest)]
