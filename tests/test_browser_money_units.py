"""In Chromium: HUF, JPY, KWD and IQD jobs show the server's amounts and send the right minor units.
Chromium's Intl says HUF and IQD have 0 decimals; ISO 4217 (and the server) says 2 and 3."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# currency -> (milestone minor units, shown, payment form prefill, "250" typed as minor units, 250 shown)
CASES = {
    "HUF": (100000, "1,000.00 HUF", "1000.00", 25000, "250.00 HUF"),
    "JPY": (100000, "100,000 JPY", "100000", 250, "250 JPY"),
    "KWD": (500000, "500.000 KWD", "500.000", 250000, "250.000 KWD"),
    "IQD": (250000, "250.000 IQD", "250.000", 250000, "250.000 IQD"),
}


def approved_job(server, currency, first):
    """A job in `currency` whose first milestone is submitted; the client approves it in the page."""
    job, people = job_with_people(server)
    body = terms(currency=currency, upfront={"kind": "none"})
    body["milestones"][0]["amount"] = first
    body["milestones"][1]["amount"] = first
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], body, status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"], {"terms_hash": proposed["terms_hash"]}, status=200)
    state = server.api("GET", f"/jobs/{job['id']}", people["freelancer"]).json()["job"]
    server.api("POST", f"/milestones/{state['milestones'][0]['id']}/submit", people["freelancer"], {"note": "Done"}, status=200)
    return job, people


@pytest.mark.parametrize("currency", sorted(CASES))
def test_the_room_shows_and_sends_the_servers_units(shared_server, contexts, currency):
    first, shown, prefill, typed_minor, typed_shown = CASES[currency]
    job, people = approved_job(shared_server, currency, first)
    cleo = contexts().new_page()
    log_in(cleo, shared_server, people["client"])
    open_room(cleo, shared_server, job["id"])

    card = cleo.locator(".ms").first
    assert card.locator(".money").text_content() == shown
    card.get_by_role("button", name="Approve", exact=True).click()
    card.get_by_role("button", name=f"Confirm approval: you will owe {shown}").click()
    cleo.locator(".figure.owed dd", has_text=shown).wait_for()
    assert cleo.locator(".figure").nth(3).locator("dd").text_content().endswith(f" {currency}")  # agreed total

    pay = cleo.locator(".pay-form")
    pay.wait_for()
    amount = pay.locator("input").first
    assert amount.input_value() == prefill
    amount.fill("250")
    pay.locator("input").nth(1).fill(f"REF-{currency}")
    pay.get_by_role("button", name="Record payment").click()
    cleo.get_by_text(f"{typed_shown} sent, waiting for the freelancer to confirm.").wait_for()
    payments = shared_server.api("GET", f"/jobs/{job['id']}", people["client"]).json()["job"]["payments"]
    assert [(p["amount"], p["currency"]) for p in payments] == [(typed_minor, currency)]
    assert cleo.locator(".payment-sent .money").text_content() == typed_shown
    cleo.locator("#timeline").get_by_text(f"sent {typed_shown}").wait_for()
    # Only the freelancer confirms: the client's page offers no such button.
    assert cleo.get_by_role("button", name="Confirm received").count() == 0

    if currency == "HUF":
        ARTIFACTS.mkdir(exist_ok=True)
        for width, height in ((1366, 800), (390, 844)):
            page = contexts(viewport={"width": width, "height": height}).new_page()
            log_in(page, shared_server, people["client"])
            open_room(page, shared_server, job["id"])
            if width < 1000:  # the phone's room is tabs: money has its own
                page.get_by_role("tab", name="Milestones & money").click()
            page.locator(".payment-sent").wait_for()
            page.screenshot(path=str(ARTIFACTS / f"money-units-HUF-{width}x{height}.png"), full_page=True)


@pytest.mark.parametrize("currency", sorted(CASES))
def test_the_agreement_form_previews_and_sends_the_servers_units(shared_server, contexts, currency):
    first, _shown, _prefill, typed_minor, typed_shown = CASES[currency]
    job, people = job_with_people(shared_server)
    fran = contexts().new_page()
    log_in(fran, shared_server, people["freelancer"])
    fran.goto(f"{shared_server.url}/jobs/{job['id']}/agreement/propose")
    fran.fill("textarea[name=scope]", f"Work paid in {currency} ({uuid.uuid4().hex[:6]})")
    fran.select_option("#currency", currency)
    rows = fran.locator(".milestone-row")
    rows.first.locator("input[name$=-title]").fill("Design")
    rows.first.locator(".ms-amount").fill("250")
    fran.locator("#add-milestone").click()
    rows.nth(1).locator("input[name$=-title]").fill("Build")
    rows.nth(1).locator(".ms-amount").fill("250")
    due = fran.locator("input[name=deadline]").input_value() or "2030-01-01"
    fran.fill("input[name=deadline]", due)
    for row in (rows.first, rows.nth(1)):
        row.locator("input[type=date]").fill(due)
    fran.locator("input[name=upfront_kind][value=portion]").check()
    fran.fill("input[name=upfront_amount]", "250")
    total = CASES[currency][4].replace("250", "500")  # 2 x 250 in the currency's own decimals
    fran.locator("#total", has_text=total).wait_for()
    assert fran.locator("#upfront-due").text_content() == typed_shown
    fran.get_by_role("button", name="Propose these terms").click()
    fran.wait_for_url(lambda url: "/propose" not in url)
    pending = shared_server.api("GET", f"/jobs/{job['id']}", people["client"]).json()["job"]["pending_agreement"]
    assert pending["terms"]["currency"] == currency
    assert [m["amount"] for m in pending["terms"]["milestones"]] == [typed_minor, typed_minor]
    assert pending["terms"]["upfront"]["amount"] == typed_minor
    assert pending["display"]["upfront_due"] == typed_shown


def test_an_event_without_display_uses_the_servers_exponent(shared_server, contexts):
    """upfront.requested stores a bare amount and currency: the timeline formats it with the exponent
    the server sent in the job's views (IQD: 3), never with Intl's (0)."""
    job, people = job_with_people(shared_server)
    body = terms(currency="IQD", upfront={"kind": "portion", "amount": 10000})
    proposed = shared_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], body, status=201).json()["agreement"]
    shared_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"], {"terms_hash": proposed["terms_hash"]}, status=200)
    page = contexts().new_page()
    log_in(page, shared_server, people["client"])
    open_room(page, shared_server, job["id"])
    page.locator("#timeline").get_by_text("10.000 IQD is due up front, as agreed.").wait_for()
    page.locator(".figure.owed dd", has_text="10.000 IQD").wait_for()
