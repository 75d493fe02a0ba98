"""In Chromium at 1366x800 and 390x844: terms proposed and accepted while the room is open show there
without a reload: the "Terms waiting" card comes with who accepted, the freelancer's "Next: the
terms" goes, and once the terms are in force the card goes and the agreed deadline shows."""
from __future__ import annotations

import pytest

from tests.browser_support import SIZES, in_room, show_tab
from tests.conftest import ARTIFACTS
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", SIZES)
def test_terms_proposed_and_accepted_show_in_the_open_room(shared_server, contexts, size):
    job, people = job_with_people(shared_server)
    freelancer, client = in_room(shared_server, contexts, size, job["id"], people["freelancer"], people["client"])
    for page in (freelancer, client):
        assert page.text_content("#deadline") == "No deadline agreed yet"
        show_tab(page, size, "Milestones & money")
    freelancer.locator("#terms-next").wait_for()

    proposed = shared_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], terms(),
                                 status=201).json()["agreement"]
    for page in (freelancer, client):
        card = page.locator("#terms-waiting")
        card.get_by_text("Version 1 was proposed by").wait_for()
        assert card.locator("li.accepted").count() == 1 and card.locator("li.awaiting").count() == 1
        assert card.get_by_role("link", name="Review terms").get_attribute("href") == f"/jobs/{job['id']}/agreement"
    assert freelancer.locator("#terms-next").count() == 0
    assert client.locator("#terms-changed").is_hidden()  # nothing to reload for: the card says it
    client.screenshot(path=str(ARTIFACTS / f"terms-live-waiting-{size}.png"))

    shared_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
                      {"terms_hash": proposed["terms_hash"]}, status=200)
    for page in (freelancer, client):
        page.locator("#terms-waiting").wait_for(state="detached")
        page.wait_for_function("() => document.getElementById('deadline').textContent.startsWith('Deadline in')")
        assert page.get_attribute("#deadline", "title").startswith("Due ")
        page.locator("#milestones-panel", has_text="Concepts").wait_for()
        assert page.locator("#terms-changed").is_visible()  # the Info tab still shows what it was drawn with
    freelancer.screenshot(path=str(ARTIFACTS / f"terms-live-in-force-{size}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_a_freelancer_whose_client_is_not_here_is_pointed_to_the_invitation(shared_server, contexts, size):
    from tests.browser_support import open_room, person

    f = shared_server.signup("freelancer")
    job = shared_server.api("POST", "/jobs", f, {"title": "Solo so far"}, status=201).json()["job"]
    page = person(shared_server, contexts, size, f)
    open_room(page, shared_server, job["id"])
    assert page.locator("#next-steps").is_hidden()  # no terms yet: the work panel's "Next: the terms" says it
    shared_server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201)
    cta = page.locator("#next-steps")
    cta.get_by_text("Your client is not here yet.").wait_for()
    link = cta.get_by_role("link", name="Invite your client")
    assert link.get_attribute("href") == f"/jobs/{job['id']}/invites"
    page.screenshot(path=str(ARTIFACTS / f"terms-live-invite-cta-{size}.png"))
    # The client joins by the link: the step goes without a reload (member.joined fetches the job).
    invite = shared_server.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "client"}, status=201).json()["invite"]
    shared_server.api("POST", f"/invites/{invite['token']}/accept", shared_server.signup("client"), status=200)
    page.wait_for_function("() => !document.getElementById('next-steps').textContent.includes('not here yet')")


def test_the_terms_form_keeps_what_was_typed_across_a_reload(shared_server, contexts):
    """A reload (or leaving and coming back) restores the typed terms, rows included; "Start over"
    drops them; sending the form drops them too."""
    from tests.browser_support import person

    job, people = job_with_people(shared_server)
    page = person(shared_server, contexts, "laptop", people["freelancer"])
    form_url = f"{shared_server.url}/jobs/{job['id']}/agreement/propose"
    page.goto(form_url)
    page.fill("textarea[name=scope]", "A logo, two concepts and a style sheet.")
    page.fill("input[name=m-0-title]", "Concepts")
    page.get_by_role("button", name="+ Add milestone").click()
    page.fill("input[name=m-1-title]", "Style sheet")
    page.check("input[name=upfront_kind][value=portion]")
    page.wait_for_timeout(500)  # the draft is written 0.3 s after the last keystroke
    page.reload()
    page.locator("#draft-restored").wait_for()
    assert page.input_value("textarea[name=scope]") == "A logo, two concepts and a style sheet."
    assert page.input_value("input[name=m-1-title]") == "Style sheet"
    assert page.locator(".milestone-row").count() == 2 and page.is_checked("input[name=upfront_kind][value=portion]")
    page.locator("#draft-restored").get_by_role("button", name="Start over").click()
    page.wait_for_load_state()
    page.locator("textarea[name=scope]").wait_for()
    assert page.input_value("textarea[name=scope]") == "" and page.locator("#draft-restored").is_hidden()
    page.fill("textarea[name=scope]", "Sent with mistakes")
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Propose these terms").click()
    page.locator(".field-error").first.wait_for()  # refused (no deadline): the page shows what was sent
    assert page.input_value("textarea[name=scope]") == "Sent with mistakes"
    page.goto(form_url)
    assert page.locator("#draft-restored").is_hidden() and page.input_value("textarea[name=scope]") == ""


def test_a_double_click_proposes_the_terms_once(shared_server, contexts):
    """The second click of a double click does not post the form again (it answered "the same as
    version 1" over the first one's success, send-once.js): of two submits, one goes; the button is
    disabled while the page waits, and the freelancer lands where one proposal leads."""
    import re
    from datetime import date, timedelta

    from tests.browser_support import person

    job, people = job_with_people(shared_server)
    page = person(shared_server, contexts, "phone", people["freelancer"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/agreement/propose")
    deadline = date.today() + timedelta(days=30)
    page.fill("textarea[name=scope]", "A logo.")
    page.fill("input[name=deadline]", deadline.isoformat())
    page.fill("input[name=m-0-title]", "Concepts")
    page.fill("input[name=m-0-amount]", "600")
    page.fill("input[name=m-0-due]", deadline.isoformat())
    sent = page.evaluate("""() => new Promise((resolve) => {
      const form = document.getElementById("terms-form");
      const button = form.querySelector("button[type=submit]");
      let sent = 0;
      window.addEventListener("submit", (e) => { if (!e.defaultPrevented) sent += 1; });  // after every other handler
      form.requestSubmit(button);
      form.requestSubmit(button);
      setTimeout(() => resolve({ sent, disabled: button.disabled }), 0);
    })""")
    assert sent == {"sent": 1, "disabled": True}
    page.wait_for_url(re.compile(r"/(invites|agreement)$"))
    versions = shared_server.api("GET", f"/jobs/{job['id']}/agreements", people["freelancer"], status=200).json()
    assert [a["version"] for a in versions["agreements"]] == [1]


def test_a_milestone_fields_error_shows_under_that_field(shared_server, contexts):
    """A bad amount is said under Amount (not under the row, where it read as the title's), and the
    input is marked invalid and described by it."""
    from tests.browser_support import person
    from tests.conftest import ARTIFACTS

    job, people = job_with_people(shared_server)
    page = person(shared_server, contexts, "phone", people["freelancer"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/agreement/propose")
    page.fill("input[name=m-0-title]", "Concepts")
    page.fill("input[name=m-0-amount]", "12,50.7.1")
    page.get_by_role("button", name="Propose these terms").click()
    amount = page.locator("input[name=m-0-amount]")
    amount.wait_for()
    error_id = amount.get_attribute("aria-describedby")
    assert amount.get_attribute("aria-invalid") == "true" and error_id
    error = page.locator(f"#{error_id}")
    assert error.is_visible() and "amount" in error.text_content().lower()
    assert amount.evaluate("(input, id) => input.closest('div').contains(document.getElementById(id))", error_id)
    assert page.locator("input[name=m-0-title]").get_attribute("aria-invalid") is None
    page.screenshot(path=str(ARTIFACTS / "terms-field-errors-phone.png"), full_page=True)
