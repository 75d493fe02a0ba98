"""In Chromium at 1366x800 and 390x844: a client sends a change request with the reason left empty.
The reason box itself says what is missing: it is marked aria-invalid, its own message sits next to it
(not only a general line under the button) and it takes the focus; nothing is sent. A reason the server
refuses (too long) is shown next to the box the same way, with the server's words. Once a reason is
given, the request goes through and the marks are gone."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ARTIFACTS
from tests.browser_support import SIZES, in_room, show_tab
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser


def _reason_message(card: Any) -> Any:
    """The message the reason box points at (aria-describedby), visible."""
    reason = card.get_by_label("Reason", exact=True)
    described = reason.get_attribute("aria-describedby")
    assert described, "the reason box names its message"
    return card.locator(f"#{described}")


@pytest.mark.parametrize("size", list(SIZES))
def test_an_empty_change_request_marks_the_reason_box(shared_server, contexts, size):
    server = shared_server
    job, people = job_in_force(server, terms())
    f, c = people["freelancer"], people["client"]
    first = server.api("GET", f"/jobs/{job['id']}", f, status=200).json()["job"]["milestones"][0]
    server.api("POST", f"/milestones/{first['id']}/submit", f, {"note": "Concepts"}, status=200)

    (page,) = in_room(server, contexts, size, job["id"], c)
    show_tab(page, size, "Milestones & money")
    card = page.locator(f'.ms[data-milestone-id="{first["id"]}"]')
    card.locator(".state", has_text="In review").wait_for()
    card.get_by_role("button", name="Request changes").click()
    reason = card.get_by_label("Reason", exact=True)
    reason.wait_for()
    assert reason.get_attribute("aria-invalid") is None

    # Empty: the box is marked, its own message is shown next to it and it has the focus.
    card.get_by_role("button", name="Send change request").click()
    message = _reason_message(card)
    message.wait_for(state="visible")
    assert message.text_content() == "Say what should change."
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Reason"
    page.screenshot(path=str(ARTIFACTS / f"change-request-empty-{size}.png"))
    # The message follows the box (next to it, not under the button) and is on screen.
    assert page.evaluate("""(id) => { const m = document.getElementById(id);
        return m.previousElementSibling.tagName === 'TEXTAREA'; }""", message.get_attribute("id"))
    box, note = reason.bounding_box(), message.bounding_box()
    assert box and note and note["y"] >= box["y"] + box["height"] - 1 and note["height"] > 0
    assert 0 <= note["x"] and note["x"] + note["width"] <= SIZES[size]["width"] + 1
    assert card.locator(".ms-form + .field-error").is_hidden()  # no second, general line under the button
    milestone = server.api("GET", f"/jobs/{job['id']}", c, status=200).json()["job"]["milestones"][0]
    assert milestone["state"] == "submitted" and milestone["revisions_used"] == 0  # nothing was sent

    # Blank only (spaces) is empty too.
    reason.fill("   ")
    card.get_by_role("button", name="Send change request").click()
    assert reason.get_attribute("aria-invalid") == "true" and message.is_visible()

    # Too long for the server (typed past the box's limit by a script): the server's own field message.
    reason.evaluate("(node) => { node.value = 'x'.repeat(5001); }")
    card.get_by_role("button", name="Send change request").click()
    page.wait_for_function("(id) => { const m = document.getElementById(id); return m && !m.hidden && "
                           "m.textContent !== 'Say what should change.'; }", arg=message.get_attribute("id"))
    assert message.text_content().strip()
    assert reason.get_attribute("aria-invalid") == "true"

    # A reason: the request goes through.
    reason.fill("Bolder colours, please")
    card.get_by_role("button", name="Send change request").click()
    card.locator(".state", has_text="Changes requested").wait_for()
    milestone = server.api("GET", f"/jobs/{job['id']}", c, status=200).json()["job"]["milestones"][0]
    assert milestone["state"] == "changes_requested"
