"""What a person types is never lost to a live update: the client is writing a change request when
the freelancer's next submission arrives and the milestones are drawn again; the text, the ticked
criterion and the focus stay. Once sent, the form starts fresh."""
from __future__ import annotations

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser


def test_a_change_request_being_typed_survives_a_redraw(shared_server, contexts):
    server = shared_server
    job, people = job_in_force(server, terms())
    f, c = people["freelancer"], people["client"]
    first, second = server.api("GET", f"/jobs/{job['id']}", f).json()["job"]["milestones"][:2]
    server.api("POST", f"/milestones/{first['id']}/submit", f, {"note": "Concepts"}, status=200)

    page = contexts().new_page()
    log_in(page, server, c)
    open_room(page, server, job["id"])
    card = page.locator(f'.ms[data-milestone-id="{first["id"]}"]')
    card.get_by_role("button", name="Request changes").click()
    reason = card.locator("textarea")
    reason.fill("Bolder colours, please")
    card.locator('input[type="checkbox"]').first.check()
    reason.focus()

    # The freelancer delivers the next milestone: a money event, so the panel is drawn again.
    server.api("POST", f"/milestones/{second['id']}/submit", f, {"note": "Next"}, status=200)
    page.locator(f'.ms[data-milestone-id="{second["id"]}"]').get_by_text("In review").wait_for()
    assert reason.input_value() == "Bolder colours, please"
    assert card.locator('input[type="checkbox"]').first.is_checked()
    assert page.evaluate("() => document.activeElement.tagName") == "TEXTAREA"


def test_a_selection_survives_a_redraw_so_typing_replaces_it(shared_server, contexts):
    """Select the amount, a live update redraws the money card, then type: the typing replaces the
    selection (it once appended: '100000250' — found as a CI flake of the JPY money test)."""
    server = shared_server
    job, people = job_in_force(server, terms(upfront={"kind": "none"}))
    f, c = people["freelancer"], people["client"]
    first, second = server.api("GET", f"/jobs/{job['id']}", f).json()["job"]["milestones"][:2]
    server.api("POST", f"/milestones/{first['id']}/submit", f, {"note": "Concepts"}, status=200)
    server.api("POST", f"/milestones/{first['id']}/approve", c, {}, headers={"Idempotency-Key": "approve-1"}, status=200)

    page = contexts().new_page()
    log_in(page, server, c)
    open_room(page, server, job["id"])
    amount = page.locator(".pay-form input").first
    amount.wait_for()
    amount.focus()
    page.evaluate("() => document.activeElement.select()")
    server.api("POST", f"/milestones/{second['id']}/submit", f, {"note": "Next"}, status=200)  # a money event
    page.locator(f'.ms[data-milestone-id="{second["id"]}"]').get_by_text("In review").wait_for()
    page.keyboard.type("250")
    assert page.locator(".pay-form input").first.input_value() == "250"
