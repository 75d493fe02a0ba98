"""In Chromium: deliver, review, approve, pay and confirm in the room, both sides live; receipt downloads."""
from __future__ import annotations

import io

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser


def test_milestone_to_receipt(live_server, contexts):
    job, people = job_with_people(live_server)
    proposed = live_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
                               terms(upfront={"kind": "none"}), status=201).json()["agreement"]
    live_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
                    {"terms_hash": proposed["terms_hash"]}, status=200)
    fran, cleo = contexts().new_page(), contexts(accept_downloads=True).new_page()
    log_in(fran, live_server, people["freelancer"])
    log_in(cleo, live_server, people["client"])
    open_room(fran, live_server, job["id"])
    open_room(cleo, live_server, job["id"])

    first = fran.locator(".ms").first
    first.get_by_role("button", name="Submit for review").click()
    first.locator("textarea").fill("Two concepts, see **attached** notes")
    first.get_by_role("button", name="Send for review").click()

    review = cleo.locator(".ms").first
    review.locator(".state", has_text="In review").wait_for()
    assert "auto-approves in" in review.locator(".review-clock").text_content()
    assert review.locator(".submission .prose strong").text_content() == "attached"
    review.get_by_role("button", name="Approve", exact=True).click()
    for box in review.locator(".checklist input").all():
        box.check()
    confirm = review.get_by_role("button", name="Confirm approval: you will owe 300.00 EUR")
    confirm.dblclick()  # a double click approves once (one Idempotency-Key per step)

    fran.locator(".ms").first.locator(".state", has_text="Approved").wait_for()
    fran.locator(".figure.owed dd", has_text="300.00 EUR").wait_for()
    fran.locator("#timeline").get_by_text("approved “Concepts”").wait_for()

    pay = cleo.locator(".pay-form")
    pay.wait_for()
    assert pay.locator("input").first.input_value() == "300.00"
    pay.locator("input").nth(1).fill("SEPA 2026-11-26")
    pay.get_by_role("button", name="Record payment").click()
    cleo.get_by_text("300.00 EUR sent, waiting for the freelancer to confirm.").wait_for()

    fran.locator(".payment-sent").get_by_role("button", name="Confirm received").click()
    cleo.locator(".payment-confirmed").wait_for()
    cleo.locator(".ms").first.locator(".state", has_text="Paid").wait_for()
    assert cleo.locator(".figure").first.locator("dd").text_content() == "0.00 EUR"
    with cleo.expect_download() as download_info:
        cleo.locator(".payment-confirmed").get_by_text("Receipt (PDF)").click()
    pdf = download_info.value
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(pdf.path(), "rb").read())).pages)
    assert "300.00 EUR" in text and "SEPA 2026-11-26" in text

    events = live_server.api("GET", f"/jobs/{job['id']}/events", people["client"], status=200).json()["events"]
    assert [e["type"] for e in events].count("milestone.approved") == 1


def test_a_payment_that_did_not_arrive_is_answered_in_the_page(shared_server, contexts):
    """"Not received" opens a reason box in the page (no browser prompt): empty, it says what it needs;
    sent, the payment reads not received with the reason, in the client's open room too; when the money
    lands later, the freelancer confirms it there."""
    from tests.browser_support import in_room, pay, show_tab
    from tests.sockets import job_in_force

    job, people = job_in_force(shared_server, terms(upfront={"kind": "portion", "amount": 10000}))
    payment = pay(shared_server, job["id"], people["freelancer"], people["client"], 10000, "SEPA 1", confirm=False)
    fran, cleo = in_room(shared_server, contexts, "phone", job["id"], people["freelancer"], people["client"])
    for page in (fran, cleo):
        show_tab(page, "phone", "Milestones & money")
    item = fran.locator(f'[data-payment-id="{payment["id"]}"]')
    item.get_by_role("button", name="Not received").click()
    box = item.get_by_role("textbox", name="What is wrong with this payment?")
    assert box.evaluate("(e) => e === document.activeElement")
    item.get_by_role("button", name="Tell the client it did not arrive").click()
    item.locator(".field-error", has_text="Say what is wrong with this payment.").wait_for()
    assert box.get_attribute("aria-invalid") == "true"
    box.fill("Nothing has reached my account yet")
    item.get_by_role("button", name="Tell the client it did not arrive").click()
    for page in (fran, cleo):
        page.locator(f'[data-payment-id="{payment["id"]}"]', has_text="Not received: Nothing has reached my account yet").wait_for()
    assert fran.locator(f'[data-payment-id="{payment["id"]}"]').get_by_role("button", name="Not received").count() == 0
    assert cleo.locator(f'[data-payment-id="{payment["id"]}"]').get_by_role("button").count() == 0
    # Days later the transfer lands: the freelancer confirms it after all, and both rooms show it paid.
    item.get_by_role("button", name="It arrived after all").click()
    for page in (fran, cleo):
        page.locator(f'[data-payment-id="{payment["id"]}"]', has_text="Marked not received at first; it arrived later.").wait_for()
        page.locator(f'[data-payment-id="{payment["id"]}"] .state', has_text="Confirmed").wait_for()
