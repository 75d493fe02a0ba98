"""Invoices and credit notes: issued with what they bill, gap-free numbers per freelancer under
concurrency, included tax, PDFs, billing details and where to pay."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.money_support import activate, approve, balances, settle_below_approved, submit
from tests.support import ApiActions, terms
from workspace.domain import invoices as rules

# ------------------------------------------------------------------ pure rules

@pytest.mark.parametrize("gross,rate,tax", [(12_000, 2_000, 2_000), (100, 2_000, 17), (0, 2_000, 0), (999, 0, 0),
                                            (-12_000, 2_000, -2_000), (1, 10_000, 1), (10_000, 700, 654)])
def test_included_tax(gross: int, rate: int, tax: int) -> None:
    assert rules.included_tax(gross, rate) == tax


def test_labels() -> None:
    assert rules.number_label("invoice", 7) == "INV-0007" and rules.number_label("credit_note", 12) == "CN-0012"
    assert rules.rate_label(2000) == "20%" and rules.rate_label(750) == "7.5%" and rules.rate_label(0) == "0%"


# ------------------------------------------------------------------ through the API

def _invoices(api: ApiActions, who: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/jobs/{job_id}/invoices", who)["invoices"]


def test_the_advance_and_each_approval_are_invoiced_with_the_advance_deducted(
        api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> None:
    f, c = people["freelancer"], people["client"]
    api.ok("PUT", "/me/billing", f, {"name": "Fran Design Ltd", "address": "1 Main St\nDublin", "tax_id": "IE123",
                                     "tax_rate_bp": 2000, "payment_methods": [
                                         {"kind": "iban", "value": "IE29 AIBK 9311 5212 3456 78", "label": "Bank"}]})
    api.ok("PUT", f"/jobs/{job['id']}/billing", c, {"name": "Acme GmbH", "tax_id": "DE999"})
    state = activate(api, people, job)  # 30,000 + 20,000, 10,000 up front
    advance = _invoices(api, c, job["id"])
    assert [(i["number"], i["kind"], i["total"]) for i in advance] == [("INV-0001", "invoice", 10_000)]
    assert advance[0]["tax"] == 1_667 and advance[0]["net"] == 8_333  # 20 % included
    assert advance[0]["seller"]["name"] == "Fran Design Ltd" and advance[0]["buyer"]["name"] == "Acme GmbH"

    m1 = state["milestones"][0]["id"]
    submit(api, f, m1)
    assert approve(api, c, m1).status_code == 200
    invoices = _invoices(api, people["viewer"], job["id"])
    second = invoices[1]
    assert second["number"] == "INV-0002" and second["ref"] == f"milestone:{m1}"
    assert [line["amount"] for line in second["lines"]] == [30_000, -10_000] and second["total"] == 20_000
    owed = balances(api, c, job["id"])["owed"]
    assert sum(i["total"] for i in invoices) - balances(api, c, job["id"])["paid"] == owed

    pdf = api.call("GET", f"/invoices/{second['id']}.pdf", c)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    import io
    import re

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert job["title"] in text and "Milestone 1 “Concepts”" in text and not re.search(r"milestone:\d", text), text
    assert api.call("GET", f"/invoices/{second['id']}", people["outsider"]).status_code == 404
    assert api.call("GET", f"/invoices/{second['id']}.pdf", people["outsider"]).status_code == 404
    # Where to pay, for the client recording a payment.
    where = api.ok("GET", f"/jobs/{job['id']}/billing", c)["freelancer"]["payment_methods"]
    assert where[0]["value"].startswith("IE29")


def test_a_dispute_settled_below_an_approved_amount_gets_a_credit_note(api: ApiActions, people: dict[str, Any],
                                                                        job: dict[str, Any]) -> None:
    c = people["client"]
    invoices = settle_below_approved(api, people, job)
    assert [(i["number"], i["total"]) for i in invoices] == [("INV-0001", 30_000), ("CN-0002", -6_000)]
    assert sum(i["total"] for i in invoices) == balances(api, c, job["id"])["owed"]


def _job_with_milestones(api: ApiActions, people: dict[str, Any], count: int) -> list[int]:
    job = api.job_with_members(people)
    deadline = date.today() + timedelta(days=30)
    body = terms(upfront={"kind": "none"}, milestones=[
        {"title": f"Part {n}", "amount": 1_000 + n, "due": deadline.isoformat()} for n in range(count)])
    state = activate(api, people, job, body)
    ids = [m["id"] for m in state["milestones"]]
    for mid in ids:
        assert submit(api, people["freelancer"], mid).status_code == 200
    return ids


def test_twenty_approvals_at_once_number_without_gaps_or_twins(app: Any, api: ApiActions,
                                                               people: dict[str, Any]) -> None:
    """Two jobs of one freelancer, ten submissions each, approved by twenty threads at once."""
    milestones = _job_with_milestones(api, people, 10) + _job_with_milestones(api, people, 10)
    barrier = threading.Barrier(len(milestones))
    answers: list[int] = []

    def approve_one(mid: int) -> None:
        client = ApiActions(app.test_client())
        barrier.wait()
        answers.append(approve(client, people["client"], mid).status_code)

    threads = [threading.Thread(target=approve_one, args=(mid,)) for mid in milestones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(answers) == [200] * 20
    from workspace.extensions import db
    from workspace.models import Invoice

    with app.app_context():
        numbers = sorted(db.session.scalars(select(Invoice.number).where(
            Invoice.freelancer_id == people["freelancer"]["id"])))
        db.session.remove()
    assert numbers == list(range(1, 21))


def test_billing_details_bad_input_is_a_clear_4xx(api: ApiActions, people: dict[str, Any],
                                                  job: dict[str, Any]) -> None:
    f = people["freelancer"]
    for body, field in (({"tax_rate_bp": 10_001}, "tax_rate_bp"), ({"tax_rate_bp": 1.5}, "tax_rate_bp"),
                        ({"name": "x" * 201}, "name"), ({"color": "red"}, "color"),
                        ({"payment_methods": [{"kind": "link", "value": "http://pay.example"}]},
                         "payment_methods.0.value"),
                        ({"payment_methods": [{"kind": "cheque", "value": "x"}]}, "payment_methods.0.kind")):
        refused = api.call("PUT", "/me/billing", f, body)
        assert refused.status_code == 422, body
        assert any(k.startswith(field) for k in refused.get_json()["error"]["fields"]), refused.get_json()
    assert api.call("PUT", f"/jobs/{job['id']}/billing", people["viewer"], {"name": "V"}).status_code == 403
    assert api.call("PUT", f"/jobs/{job['id']}/billing", people["outsider"], {"name": "O"}).status_code == 404
    assert api.call("GET", "/me/billing").status_code == 401
    saved = api.ok("PUT", "/me/billing", f, {"name": "  Fran  "})["billing"]
    assert saved["name"] == "Fran" and saved["tax_rate_bp"] == 0


def test_a_job_override_starts_from_the_account_details(api: ApiActions, people: dict[str, Any],
                                                        job: dict[str, Any]) -> None:
    f = people["freelancer"]
    api.ok("PUT", "/me/billing", f, {"name": "Fran Ltd", "tax_rate_bp": 2000})
    mine = api.ok("PUT", f"/jobs/{job['id']}/billing", f, {"tax_rate_bp": 0})["billing"]
    assert mine == {**mine, "name": "Fran Ltd", "tax_rate_bp": 0, "for_job": True}
    assert api.ok("GET", "/me/billing", f)["billing"]["tax_rate_bp"] == 2000
