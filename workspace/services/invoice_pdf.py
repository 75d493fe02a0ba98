"""An invoice or credit note as a PDF, from its JSON view (the same figures, nothing recomputed)."""
from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from workspace.domain.invoices import ref_words
from workspace.green import run_blocking
from workspace.services.receipts import _para, _render, _table


def _party(title: str, party: dict[str, Any]) -> list[Any]:
    rows = [title, party.get("name") or party.get("person") or "—"]
    if party.get("name") and party.get("person") and party["name"] != party["person"]:
        rows.append(f"Attn. {party['person']}")
    rows += [line for line in (party.get("address") or "").splitlines() if line.strip()]
    if party.get("tax_id"):
        rows.append(f"Tax id {party['tax_id']}")
    return [_para(rows[0], "Heading4")] + [_para(line) for line in rows[1:]]


def _issued_line(view: dict[str, Any], job_title: str | None, subject: str | None) -> str:
    """'Issued 2026-11-27 · Logo design · Milestone 1 “Concepts”': the job by its title (its public id
    only when no title is known), and what is billed by name rather than by the invoice's internal ref."""
    subject = subject or ref_words(str(view.get("ref") or ""))
    parts = [f"Issued {view['issued_at'][:10]}", f"Job “{job_title}”" if job_title else f"job {view['job']}", subject]
    return " · ".join(part for part in parts if part)


def render(view: dict[str, Any], job_title: str | None = None, subject: str | None = None) -> bytes:
    """The PDF of an invoice's JSON view; `job_title` and `subject` (what it bills, in words) name the job
    and the milestone for people (the view itself carries only ids)."""
    credit = view["kind"] == "credit_note"
    title = "Credit note" if credit else "Invoice"
    lines = [["Description", "Amount"]] + [[_para(line["text"]), line["display"]] for line in view["lines"]]
    totals = [["Total" + (" (tax included)" if view["tax"] else ""), view["display"]["total"]]]
    if view["tax"]:
        totals = [["Net", view["display"]["net"]], [f"Tax {view['tax_rate']}", view["display"]["tax"]]] + totals
    flow: list[Any] = [
        _para(f"{title} {view['number']}", "Title"),
        _para(_issued_line(view, job_title, subject), "Italic"),
        Spacer(1, 4 * mm),
        _table([[_party("From", view["seller"]), _party("To", view["buyer"])]], widths=[85 * mm, 85 * mm],
               header=False),
        Spacer(1, 6 * mm),
        _table(lines, widths=[130 * mm, 40 * mm]),
        Spacer(1, 2 * mm),
        _table(totals, widths=[130 * mm, 40 * mm], header=False),
    ]
    methods = view["seller"].get("payment_methods") or []
    if methods and not credit and view["total"] > 0:
        flow += [Spacer(1, 6 * mm), _para("How to pay", "Heading4"),
                 _para(f"Quote {view['number']} as the reference.")]
        flow += [_para(f"{m.get('label') or m['kind']}: {m['value']}") for m in methods]
    flow += [Spacer(1, 6 * mm), _para(f"Amounts are in {view['currency']}. Issued through Workspace.", "Italic")]
    return run_blocking(_render, flow, f"{title} {view['number']}")
