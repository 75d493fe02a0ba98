"""In Chromium at 1366x800 and 390x844: a client disputes an approved milestone, the freelancer's room
shows the banner live, a mediator invited by link proposes an amount, both sides accept, the balance
moves; the invoices list shows the invoice and the credit note and a PDF opens; "Record a payment" shows
where to pay and the invoice number to quote; the record downloads as a zip. Billing details on the
account page show the server's per-field errors. Screenshots: tests/artifacts/disputes-<page>-<size>.png."""
from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from tests.browser_support import SIZES, deliver, log_in, open_room, person, show_tab
from tests.conftest import ARTIFACTS
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser

IBAN = "DE89 3704 0044 0532 0130 00"


def shot(page: Any, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"disputes-{name}-{size}.png"), full_page=True)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.parametrize("size", list(SIZES))
def test_dispute_mediator_resolution_invoices_payment_details_and_dossier(live_server, contexts, size):
    server = live_server
    job, people = job_with_people(server)
    fran_api, cleo_api = people["freelancer"], people["client"]
    server.api("PUT", "/me/billing", fran_api, {"name": "Fran Studio", "address": "1 Main St, Berlin",
                                               "payment_methods": [{"kind": "iban", "value": IBAN, "label": "EUR account"}]},
               status=200)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran_api, terms(upfront={"kind": "none"}),
                          status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo_api, {"terms_hash": proposed["terms_hash"]},
               status=200)
    deliver(server, job["id"], fran_api, cleo_api)  # "Concepts" approved: 300.00 EUR owed, INV-0001

    fran = person(server, contexts, size, fran_api)
    cleo = contexts(viewport=SIZES[size], accept_downloads=True).new_page()
    log_in(cleo, server, cleo_api)
    open_room(fran, server, job["id"])
    open_room(cleo, server, job["id"])

    # The client disputes the approved, unpaid milestone.
    show_tab(cleo, size, "Milestones & money")
    concepts = cleo.locator(".ms").first
    concepts.get_by_role("button", name="Dispute").click()
    concepts.get_by_label("Reason for the dispute").fill("The concepts are not vector files as agreed.")
    concepts.get_by_role("button", name="Open the dispute").click()
    concepts.locator(".disputed-pill").wait_for()
    assert concepts.get_by_role("button", name="Dispute").count() == 0

    # Live on the freelancer's page: the banner, and the milestone frozen.
    banner = fran.locator(".dispute-banner")
    banner.get_by_text("The client disputed “Concepts”").wait_for()
    assert "not vector files" in banner.locator(".dispute-reason").text_content()
    assert banner.get_by_role("button", name="Accept this resolution").count() == 0
    assert banner.get_by_role("button", name="Withdraw").count() == 0  # only the side that opened it
    no_sideways_scroll(fran)
    shot(fran, "banner-freelancer", size)
    show_tab(fran, size, "Milestones & money")
    fran.locator(".ms").first.locator(".disputed-pill").wait_for()

    # The client invites a mediator by link (the room's Info tab), who joins from the link.
    show_tab(cleo, size, "Info")
    invite = cleo.locator("#invite-form")
    invite.get_by_label("Mediator").check()
    invite.get_by_role("button", name="Create invitation link").click()
    invite.get_by_role("status").get_by_text("Send this link to your mediator.").wait_for()
    link = invite.get_by_label("Invitation link").input_value()
    assert "/invite/" in link
    no_sideways_scroll(cleo)
    invite.scroll_into_view_if_needed()
    cleo.screenshot(path=str(ARTIFACTS / f"disputes-invite-mediator-{size}.png"))
    mo_api = server.signup("mediator")
    mo = person(server, contexts, size, mo_api)
    mo.goto(link)
    assert "propose how to resolve a dispute" in mo.locator("main").text_content()
    mo.get_by_role("button", name="Join as Mediator").click()
    mo.wait_for_url(f"**/jobs/{job['id']}/**")  # joined: the room (or its agreement page) loads
    mo.wait_for_function("() => document.body?.dataset.connection === 'live'")
    open_room(cleo, server, job["id"])

    # The mediator proposes 200.00 of 300.00 EUR; they may propose, never accept or withdraw.
    mo_banner = mo.locator(".dispute-banner")
    mo_banner.get_by_role("button", name="Propose a resolution").click()
    assert mo_banner.get_by_role("button", name="Accept this resolution").count() == 0
    assert mo_banner.get_by_role("button", name="Withdraw").count() == 0
    mo_banner.get_by_label("Amount to the freelancer (EUR)").fill("2,000.5")
    mo_banner.get_by_role("button", name="Send proposal").click()  # beyond the milestone: refused in the page
    mo_banner.get_by_text("Enter an amount from 0 to 300.00 EUR, in EUR.").wait_for()
    mo_banner.get_by_label("Amount to the freelancer (EUR)").fill("200.00")
    mo_banner.get_by_label("Note").fill("Two thirds: the sketches were delivered, not the vectors.")
    shot(mo, "mediator-propose", size)
    mo_banner.get_by_role("button", name="Send proposal").click()
    mo_banner.locator(".dispute-proposal", has_text="200.00 EUR").wait_for()
    assert "Waiting for the freelancer and the client to accept." in mo_banner.locator(".dispute-proposal").text_content()

    # Both sides see it wait for them: the banner at the top turns red with its Accept button in view (it is
    # the call to action; "Needs you now" does not repeat it, so a phone keeps room for the chat).
    for page in (fran, cleo):
        page.locator(".dispute-banner.is-urgent .dispute-proposal", has_text="200.00 EUR").wait_for()
        assert page.locator("#next-steps").get_by_text("dispute").count() == 0
        button = page.locator(".dispute-banner").get_by_role("button", name="Accept this resolution")
        assert button.evaluate("(b) => { const r = b.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    if size == "phone":  # the chat keeps a usable height under the banners
        assert cleo.locator("#timeline-scroll").bounding_box()["height"] >= 100
        banner = cleo.locator(".dispute-banner")
        assert banner.locator(".dispute-reason").is_hidden()
        banner.get_by_role("button", name="Read it all").click()  # the reason and the whole proposal
        assert banner.locator(".dispute-reason").is_visible()
        shot(cleo, "answer-client-expanded", size)
        banner.get_by_role("button", name="Show less").click()
    else:
        assert cleo.locator(".dispute-more").first.is_hidden()  # a laptop shows it all already
    no_sideways_scroll(cleo)
    shot(cleo, "answer-client", size)
    accept = fran.locator(".dispute-banner").get_by_role("button", name="Accept this resolution")
    accept.click()
    cleo.locator(".dispute-banner .dispute-proposal", has_text="Waiting for you to accept.").wait_for()
    cleo.locator(".dispute-banner").get_by_role("button", name="Accept this resolution").click()

    # Resolved: the banners go, the milestone is approved at 200.00 EUR, the balance moved.
    for page in (fran, cleo, mo):
        page.locator("#dispute-banner").wait_for(state="hidden")
    show_tab(cleo, size, "Milestones & money")
    cleo.locator(".figure.owed dd", has_text="200.00 EUR").wait_for()
    first = cleo.locator(".ms").first
    first.locator(".money", has_text="200.00 EUR").wait_for()
    assert first.locator(".disputed-pill").count() == 0
    # The milestone keeps saying how its dispute ended.
    first.locator(".dispute-closed", has_text="Dispute resolved").wait_for()
    assert first.locator(".dispute-closed").text_content().endswith(": 200.00 EUR to the freelancer.")
    first.scroll_into_view_if_needed()
    shot(cleo, "resolved-milestone", size)
    assert server.api("GET", f"/jobs/{job['id']}", cleo_api, status=200).json()["job"]["balances"]["owed"] == 20000

    # Invoices: the invoice and the credit note for what was not awarded; a PDF opens.
    invoices = cleo.locator(".invoice-list")
    invoices.locator(".invoice-credit_note", has_text="CN-0002").wait_for()
    assert "100.00 EUR" in invoices.locator(".invoice-credit_note").text_content()
    assert "300.00 EUR" in invoices.locator(".invoice-invoice", has_text="INV-0001").text_content()
    href = invoices.locator(".invoice-invoice a").get_attribute("href")
    pdf = cleo.request.get(server.url + href)
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "INV-0001" in text and "Fran Studio" in text

    # Record a payment: where to pay and the invoice number to quote.
    pay = cleo.locator(".pay-form")
    pay.scroll_into_view_if_needed()
    methods = pay.locator(".pay-methods")
    assert "Bank transfer (IBAN/SWIFT)" in methods.text_content() and IBAN in methods.text_content()
    assert "EUR account" in methods.text_content()
    assert pay.locator(".pay-reference").text_content() == (
        "Quote INV-0001, the newest invoice, as the reference: 200.00 EUR is owed in all (it may cover earlier invoices too).")
    assert pay.locator("input").first.input_value() == "200.00"
    assert pay.get_by_label("Reference").input_value() == "INV-0001"  # what to quote, already filled in
    no_sideways_scroll(cleo)
    pay.screenshot(path=str(ARTIFACTS / f"disputes-pay-form-{size}.png"))
    shot(cleo, "money-panel", size)

    # The record: the dossier downloads as a zip with its manifest.
    with cleo.expect_download() as download_info:
        cleo.locator("#balance-panel .dossier-link").click()
    archive = zipfile.ZipFile(download_info.value.path())
    names = archive.namelist()
    assert any(n.endswith("/manifest.json") for n in names) and any(n.endswith("/verify.py") for n in names)
    show_tab(cleo, size, "Info")
    cleo.locator("#panel-info .dossier-link").wait_for()
    shot(cleo, "info", size)


@pytest.mark.parametrize("size", list(SIZES))
def test_billing_details_on_the_account_page_with_field_errors(live_server, contexts, size):
    who = live_server.signup("freelancer")
    page = person(live_server, contexts, size, who)
    page.goto(live_server.url + "/account")
    form = page.locator("#billing form")
    form.get_by_label("Legal or business name").fill("Fran Studio GmbH")
    form.get_by_label("Address").fill("1 Main St\n10115 Berlin")
    form.get_by_label("Tax id").fill("DE123456789")
    form.get_by_label("Tax rate (%)").fill("19")
    form.get_by_role("button", name="Add a way to be paid").click()
    form.get_by_label("Way to be paid 1: Where to pay").fill(IBAN)
    form.get_by_role("button", name="Add a way to be paid").click()
    form.get_by_label("Way to be paid 2: Kind").select_option("link")
    form.get_by_label("Way to be paid 2: Where to pay").fill("http://pay.example.test/fran")
    form.get_by_role("button", name="Save billing details").click()
    error = form.locator('.field-error[data-field="payment_methods.1.value"]')
    error.wait_for()
    assert error.text_content() == "A payment link starts with https://."
    assert form.get_by_label("Way to be paid 2: Where to pay").evaluate("(i) => document.activeElement === i")
    no_sideways_scroll(page)
    shot(page, "account-billing-error", size)
    form.get_by_label("Way to be paid 2: Where to pay").fill("https://pay.example.test/fran")
    form.get_by_role("button", name="Save billing details").click()
    form.get_by_role("status").get_by_text("Saved.").wait_for()
    saved = live_server.api("GET", "/me/billing", who, status=200).json()
    saved = saved.get("billing", saved)
    assert saved["tax_rate_bp"] == 1900 and saved["name"] == "Fran Studio GmbH"
    assert [m["kind"] for m in saved["payment_methods"]] == ["iban", "link"]
    page.reload()
    assert page.locator("#billing form").get_by_label("Tax rate (%)").input_value() == "19"
    shot(page, "account-billing", size)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_revision_resolution_and_a_withdrawn_dispute(live_server, contexts, size):
    """The freelancer disputes a submission left unanswered; the client proposes a new due date, the
    freelancer accepts: the milestone goes back for one more revision. Then the client disputes it and
    withdraws: the freelancer's banner goes away live."""
    from datetime import date, timedelta

    server = live_server
    job, people = job_with_people(server)
    fran_api, cleo_api = people["freelancer"], people["client"]
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran_api, terms(upfront={"kind": "none"}),
                          status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo_api, {"terms_hash": proposed["terms_hash"]},
               status=200)
    milestone = deliver(server, job["id"], fran_api, cleo_api, approve=False)
    fran, cleo = person(server, contexts, size, fran_api), person(server, contexts, size, cleo_api)
    open_room(fran, server, job["id"])
    open_room(cleo, server, job["id"])

    show_tab(fran, size, "Milestones & money")
    concepts = fran.locator(".ms").first
    concepts.get_by_role("button", name="Dispute").click()
    concepts.get_by_role("button", name="Open the dispute").click()  # no reason: said in the page
    concepts.get_by_text("Say what is wrong.").wait_for()
    reason = concepts.get_by_label("Reason for the dispute")  # the message is the box's own, and it has the focus
    assert reason.get_attribute("aria-invalid") == "true"
    assert reason.evaluate("el => el === document.activeElement && "
                           "document.getElementById(el.getAttribute('aria-describedby')).textContent")
    reason.scroll_into_view_if_needed()
    fran.screenshot(path=str(ARTIFACTS / f"disputes-empty-reason-{size}.png"))
    reason.fill("No answer for ten days.")
    concepts.get_by_role("button", name="Open the dispute").click()

    banner = cleo.locator(".dispute-banner")
    banner.get_by_text("The freelancer disputed “Concepts”").wait_for()
    assert banner.get_by_role("button", name="Withdraw").count() == 0
    banner.get_by_role("button", name="Propose a resolution").click()
    banner.get_by_label("a new due date").check()
    due = (date.today() + timedelta(days=12)).isoformat()
    banner.get_by_label("New due date (one more revision)").fill(due)
    banner.get_by_role("button", name="Send proposal").click()
    banner.locator(".dispute-proposal", has_text="one more revision").wait_for()

    fran_banner = fran.locator(".dispute-banner.is-urgent")
    fran_banner.locator(".dispute-proposal", has_text="one more revision, due").wait_for()
    shot(fran, "revision-answer", size)
    fran_banner.get_by_role("button", name="Accept this resolution").click()
    fran.locator("#dispute-banner").wait_for(state="hidden")
    concepts.locator(".state", has_text="Changes requested").wait_for()
    after = server.api("GET", f"/jobs/{job['id']}", fran_api, status=200).json()["job"]["milestones"][0]
    assert after["id"] == milestone["id"] and after["due"] == due and after["revisions_included"] == 3

    # The client disputes it again, then withdraws: nothing moves, and the freelancer's banner goes.
    show_tab(cleo, size, "Milestones & money")
    cleo_card = cleo.locator(".ms").first
    cleo_card.get_by_role("button", name="Dispute").click()
    cleo_card.get_by_label("Reason for the dispute").fill("Changed my mind about the date.")
    cleo_card.get_by_role("button", name="Open the dispute").click()
    fran.locator(".dispute-banner").get_by_text("The client disputed “Concepts”").wait_for()
    cleo.locator(".dispute-banner").get_by_role("button", name="Withdraw").click()
    cleo.locator(".dispute-banner").get_by_role("button", name="Withdraw the dispute").click()
    fran.locator("#dispute-banner").wait_for(state="hidden")
    fran.locator("#timeline").get_by_text("withdrew the dispute over “Concepts”").wait_for(state="attached")
    # On the milestone, both endings stay told: the revision, then the withdrawal.
    cleo_card.locator(".dispute-closed", has_text="Dispute withdrawn").wait_for()
    assert "one more revision, due" in cleo_card.locator(".dispute-closed", has_text="resolved").text_content()
    cleo.wait_for_timeout(300)  # the room's last refetch redraws the card: scroll the card drawn after it
    cleo_card.evaluate("(card) => card.scrollIntoView({ block: 'center' })")
    shot(cleo, "closed-disputes-milestone", size)
    assert server.api("GET", f"/jobs/{job['id']}/disputes", fran_api, status=200).json()


def test_binding_mediation_waits_for_the_other_side_to_agree_to_the_mediator(shared_server, contexts):
    """Binding terms, a mediator the freelancer brought in: the client's banner says the mediator's word
    does not bind until they agree, with the button; agreeing changes both rooms live (phone size)."""
    from tests.browser_support import in_room
    from tests.sockets import job_in_force

    server = shared_server
    job, people = job_in_force(server, terms(mediation_binding=True))
    fran_api, cleo_api = people["freelancer"], people["client"]
    milestone = deliver(server, job["id"], fran_api, cleo_api, approve=False)
    invite = server.api("POST", f"/jobs/{job['id']}/invites", fran_api, {"role": "mediator"}, status=201).json()["invite"]
    mo_api = server.signup("mediator")
    server.api("POST", f"/invites/{invite['token']}/accept", mo_api, status=200)
    server.api("POST", f"/milestones/{milestone['id']}/disputes", cleo_api, {"reason": "Not as agreed"},
               headers={"Idempotency-Key": "binding-mediator-open"}, status=201)
    fran, cleo = in_room(server, contexts, "phone", job["id"], fran_api, cleo_api)
    note = cleo.locator(".dispute-banner .mediator-note")
    note.get_by_text("only once both sides agree to the mediator").wait_for()
    assert "until you agree" in note.text_content()
    assert fran.locator(".dispute-banner .mediator-note").get_by_role("button").count() == 0  # they invited them
    shot(cleo, "mediator-agree", "phone")
    cleo.locator(".dispute-banner").get_by_role("button", name="Read it all").click()
    note.get_by_role("button", name="Agree to Mediator as mediator").click()
    for page in (cleo, fran):
        page.locator(".dispute-banner .mediator-note", has_text="as mediator, settles this").wait_for()
    assert note.get_by_role("button").count() == 0
    no_sideways_scroll(cleo)


def test_a_freelancer_with_no_way_to_be_paid_is_asked_for_one(shared_server, contexts):
    """Terms with money and no ways to be paid: "Needs you now" asks for them and leads to this job's
    billing card; once saved, the step goes and the client's "Record a payment" shows where to pay."""
    from tests.browser_support import in_room
    from tests.sockets import job_in_force

    job, people = job_in_force(shared_server, terms())
    shared_server.api("PUT", "/me/billing", people["freelancer"], {"payment_methods": []}, status=200)
    fran, _cleo = in_room(shared_server, contexts, "phone", job["id"], people["freelancer"], people["client"])
    cta = fran.locator("#next-steps")
    cta.get_by_text("Tell your client how to pay you.").wait_for()
    cta.get_by_role("button", name="Add how to pay you").click()
    form = fran.locator("#job-billing form")
    form.get_by_role("button", name="Add a way to be paid").click()
    form.get_by_label("Way to be paid 1: Where to pay").fill(IBAN)
    shot(fran, "ask-for-payment-details", "phone")
    form.get_by_role("button", name="Save billing details").click()
    form.get_by_role("status").get_by_text("Saved.").wait_for()
    fran.wait_for_function("() => !document.querySelector('#next-steps')?.textContent.includes('how to pay you')")
    shown = shared_server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]
    assert [m["value"] for m in shown["payment_instructions"]["methods"]] == [IBAN]
