"""In Chromium at 1366x800 and 390x844: the room tells its states truly. A tab whose login ended says
so and keeps what was typed and sent there until the person is back; a completed job reads as
completed; an overdue milestone is flagged; a reader at the bottom stays there when images arrive and
one scrolled up is offered "New messages ↓"; typing clears with the message; a paused session reads
"Paused" and an ended one says how long it ran; the go-live list follows milestone state; bare URLs
become links; an over-long message shows a counter and an error."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser_support import (
    SIZES,
    deliver,
    go_live,
    in_room,
    in_room_after,
    key,
    log_in,
    logged_out_elsewhere,
    open_room,
    pay,
    person,
    show_tab,
)
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser




def two_milestones(first_due: date | None = None) -> dict:
    today = date.today()
    return terms(upfront={"kind": "none"}, milestones=[
        {"title": "Concepts", "amount": 50_000, "due": (first_due or today + timedelta(days=10)).isoformat(),
         "criteria": [], "revisions": 1},
        {"title": "Final artwork", "amount": 70_000, "due": (today + timedelta(days=20)).isoformat(),
         "criteria": [], "revisions": 1},
    ])


def active_job(server, body=None):
    return job_in_force(server, body or two_milestones())


def send(page, text):
    page.fill("#message-body", text)
    page.press("#message-body", "Enter")


# ---------------------------------------------------------------- a login that ended

@pytest.mark.parametrize("size", SIZES)
def test_a_tab_whose_login_ended_says_so_and_keeps_what_was_written(shared_server, contexts, size):
    job, people = active_job(shared_server)
    room, other = logged_out_elsewhere(shared_server, contexts, size, job["id"], people["client"])
    other.wait_for_url("**/login")
    # The room tab says so, with a link that brings it back here.
    status = room.locator("#conn-status")
    status.get_by_role("link", name="Log in again").wait_for()
    assert "You were logged out" in status.text_content()
    assert room.evaluate("() => document.body.dataset.connection") == "logged_out"
    # What is sent now waits; what is typed stays typed.
    send(room, "Sent while logged out")
    room.locator(".pending", has_text="Sent while logged out").locator(".pending-state",
                                                                       has_text="log in again").wait_for()
    room.fill("#message-body", "A draft I have not sent")
    # The link leaves this page for the login form and comes back: both were kept in the browser.
    room.locator("#conn-status").get_by_role("link", name="Log in again").click()
    room.fill("input[name=email]", people["client"]["email"])
    room.fill("input[name=password]", people["client"]["password"])
    room.click("main button[type=submit]")
    room.wait_for_url(f"{shared_server.url}/jobs/{job['id']}/")
    room.wait_for_function("() => document.body.dataset.connection === 'live'")
    room.locator(".event-message:not(.pending) .prose", has_text="Sent while logged out").wait_for()
    room.locator(".pending").wait_for(state="detached")
    assert room.input_value("#message-body") == "A draft I have not sent"
    messages = shared_server.api("GET", f"/jobs/{job['id']}/events?after=0&limit=200", people["freelancer"],
                                 status=200).json()["events"]
    bodies = [e["data"]["message"]["body"] for e in messages if e["type"] == "message.posted"]
    assert bodies.count("Sent while logged out") == 1


def test_logging_in_again_in_another_tab_sends_what_waited(shared_server, contexts):
    job, people = active_job(shared_server)
    room, other = logged_out_elsewhere(shared_server, contexts, "laptop", job["id"], people["freelancer"])
    room.locator("#conn-status", has_text="You were logged out").wait_for()
    send(room, "Waiting for my login")
    room.locator(".pending", has_text="Waiting for my login").wait_for()
    log_in(other, shared_server, people["freelancer"])
    room.bring_to_front()
    room.locator(".event-message:not(.pending) .prose", has_text="Waiting for my login").wait_for()
    room.wait_for_function("() => document.body.dataset.connection === 'live'")
    assert room.locator("#conn-status").is_hidden()


# ---------------------------------------------------------------- a completed job

def one_milestone() -> dict:
    due = (date.today() + timedelta(days=10)).isoformat()
    return terms(upfront={"kind": "none"}, update_every_hours=24, milestones=[
        {"title": "Everything", "amount": 50_000, "due": due, "criteria": [], "revisions": 1}])


def deliver_and_pay(server, job, people, confirm=True):
    fran, cleo = people["freelancer"], people["client"]
    deliver(server, job["id"], fran, cleo)
    return pay(server, job["id"], fran, cleo, 50_000, "Final", confirm=confirm)


@pytest.mark.parametrize("size", SIZES)
def test_a_completed_job_reads_as_completed(shared_server, contexts, size):
    job, people = active_job(shared_server, one_milestone())
    fran_api, cleo_api = people["freelancer"], people["client"]
    shared_server.api("POST", f"/jobs/{job['id']}/progress", fran_api, {"percent": 40, "note": "Halfway"}, status=201)
    payment = deliver_and_pay(shared_server, job, people, confirm=False)
    fran, = in_room(shared_server, contexts, size, job["id"], fran_api)
    assert fran.text_content("#percent") == "40%"
    show_tab(fran, size, "Milestones & money")
    assert fran.locator("#progress-form").is_visible()
    # The last payment is confirmed while the room is open: it turns complete, live.
    shared_server.api("POST", f"/payments/{payment['id']}/confirm", fran_api, {}, headers=key(), status=200)
    fran.locator("#next-steps.cta-complete").wait_for()
    # No going live any more, as the server draws a completed job's live card.
    fran.locator("#panel-live", has_text="This job is complete: there is no work left to share live.").wait_for(state="attached")
    assert fran.locator("#golive-form").count() == 0
    cleo, = in_room(shared_server, contexts, size, job["id"], cleo_api)
    for page in (fran, cleo):
        bar = page.locator("#next-steps")
        bar.locator(".cta-item", has_text="The job is complete.").wait_for()
        assert page.get_by_role("button", name="Leave a review").count() == 1  # the banner and the bar are one
        assert page.text_content("#percent") == "100%"
        assert page.text_content("#deadline") == "Every milestone paid"  # "Completed" is the badge
        assert page.text_content("#next-update") == ""
        assert page.locator("#cadence-badge").is_hidden()
        assert page.locator("#progress-form").count() == 0 or page.locator("#progress-form").is_hidden()
        box = bar.bounding_box()
        assert box["y"] < SIZES[size]["height"] / 2  # at the top
    # Reviewed: the banner stays, without the button.
    cleo.get_by_role("button", name="Leave a review").click()
    cleo.locator(".review-card textarea").fill("Clear and on time.")
    cleo.locator(".review-card").get_by_role("radio", name="4 stars").check()  # named in words, not ★★★★
    cleo.locator(".review-card").get_by_role("button", name="Post review").click()
    cleo.locator("#next-steps", has_text="Thank you for your review").wait_for()
    cleo.locator(".review-card", has_text="You left 4 of 5 stars").wait_for()
    assert cleo.get_by_role("button", name="Leave a review").count() == 0
    assert fran.get_by_role("button", name="Leave a review").count() == 1


# ---------------------------------------------------------------- an overdue milestone

def move_due_date(server, milestone_id, due):
    """Terms refuse due dates in the past, so the clock is turned by changing the row itself."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE milestones SET due = :due WHERE id = :id"), {"due": due.isoformat(), "id": milestone_id})
    engine.dispose()


@pytest.mark.parametrize("size", SIZES)
def test_an_overdue_milestone_is_flagged_in_the_room_and_on_the_dashboard(shared_server, contexts, size):
    job, people = active_job(shared_server)
    milestones = shared_server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]["milestones"]
    move_due_date(shared_server, milestones[0]["id"], date.today() - timedelta(days=3))
    cleo = person(shared_server, contexts, size, people["client"])
    card = cleo.locator(".job-card", has_text="Live job").first
    assert card.locator(".overdue-pill").is_visible()
    open_room(cleo, shared_server, job["id"])
    show_tab(cleo, size, "Milestones & money")
    late = cleo.locator(f'.ms[data-milestone-id="{milestones[0]["id"]}"]')
    assert "ms-overdue" in late.get_attribute("class")
    assert late.locator(".overdue-pill", has_text="Overdue").is_visible()
    assert "3 days overdue" in late.text_content()
    on_time = cleo.locator(f'.ms[data-milestone-id="{milestones[1]["id"]}"]')
    assert on_time.locator(".overdue-pill").count() == 0


def test_a_milestone_due_today_turns_overdue_while_the_pages_are_open(shared_server, contexts):
    """The server sends when an open milestone becomes overdue (the end of its due day); the open room
    and dashboard flag it when that moment passes (the browser's clock is moved on, nothing reloads)."""
    from workspace.domain.agreement import due_at

    job, people = active_job(shared_server, two_milestones(first_due=date.today()))
    first = shared_server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]["milestones"][0]
    assert first["overdue"] is False and first["overdue_at"]
    context = contexts(viewport=SIZES["laptop"])
    context.clock.install()
    room, dashboard = context.new_page(), context.new_page()
    log_in(dashboard, shared_server, people["client"])
    card = dashboard.locator(".job-card", has_text="Live job").first
    assert card.locator(".overdue-pill").is_hidden()
    open_room(room, shared_server, job["id"])
    card_in_room = room.locator(f'.ms[data-milestone-id="{first["id"]}"]')
    assert card_in_room.locator(".overdue-pill").count() == 0
    now = room.evaluate("() => Date.now()")
    left_ms = int(due_at(date.today()).timestamp() * 1000) - now
    assert left_ms > 0
    for page in (room, dashboard):
        page.clock.fast_forward(left_ms + 61_000)
    card_in_room.locator(".overdue-pill", has_text="Overdue").wait_for()
    assert "1 day overdue" in card_in_room.text_content()
    card.locator(".overdue-pill").wait_for()
    assert "job-overdue" in card.get_attribute("class")


# ---------------------------------------------------------------- staying at the bottom, typing

NEAR_BOTTOM = "() => { const s = document.getElementById('timeline-scroll'); return s.scrollHeight - s.scrollTop - s.clientHeight < 80; }"


def tall_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (200, 320), (40, 90, 200)).save(out, "PNG")
    return out.getvalue()


def post_image(server, job, who, text):
    import requests

    r = requests.post(f"{server.url}/api/v1/jobs/{job['id']}/attachments", headers={"Authorization": f"Bearer {who['token']}"},
                      files={"file": ("sketch.png", tall_png(), "image/png")}, timeout=15)
    assert r.status_code == 201, r.text
    server.api("POST", f"/jobs/{job['id']}/messages", who, {"body": text, "attachments": [r.json()["attachment"]["id"]]},
               status=201)


@pytest.mark.parametrize("size", SIZES)
def test_a_reader_at_the_bottom_stays_there_and_one_scrolled_up_is_offered_new_messages(shared_server, contexts, size):
    job, people = active_job(shared_server)
    fran = in_room_after(shared_server, contexts, size, job["id"], people["client"], people["freelancer"], "Earlier message", 25)
    assert fran.evaluate(NEAR_BOTTOM)
    # An image arrives: once it has loaded (and grown the timeline), the reader is still at the bottom.
    post_image(shared_server, job, people["client"], "Here is the sketch")
    image = fran.locator(".event-message", has_text="Here is the sketch").locator("img.thumb")
    image.wait_for()
    fran.wait_for_function("(img) => img.complete && img.naturalHeight > 0", arg=image.element_handle())
    fran.wait_for_function(NEAR_BOTTOM)
    assert fran.locator("#new-below").is_hidden()
    long_text = "A long message. " * 120
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": long_text + "The end."}, status=201)
    fran.locator(".prose", has_text="The end.").wait_for()
    fran.wait_for_function(NEAR_BOTTOM)
    # Scrolled up: the place is kept and "New messages ↓" takes the reader down.
    fran.evaluate("() => { document.getElementById('timeline-scroll').scrollTop = 0; }")
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "While you read back"}, status=201)
    button = fran.get_by_role("button", name="New messages ↓")
    button.wait_for()
    assert fran.evaluate("() => document.getElementById('timeline-scroll').scrollTop") < 5
    button.click()
    fran.wait_for_function(NEAR_BOTTOM)
    assert button.is_hidden()
    assert fran.locator(".prose", has_text="While you read back").is_visible()


def test_the_typing_indicator_clears_when_that_message_arrives(shared_server, contexts):
    job, people = active_job(shared_server)
    fran = person(shared_server, contexts, "laptop", people["freelancer"])
    cleo = person(shared_server, contexts, "phone", people["client"])
    open_room(fran, shared_server, job["id"])
    open_room(cleo, shared_server, job["id"])
    cleo.locator("#message-body").press_sequentially("On my way")
    fran.locator("#typing", has_text="Client is typing…").wait_for()
    cleo.press("#message-body", "Enter")
    fran.locator(".event-message .prose", has_text="On my way").wait_for()
    assert fran.text_content("#typing") == ""  # at once, not after the indicator's 5 s


# ---------------------------------------------------------------- live: paused, ended after seconds


@pytest.mark.parametrize("size", SIZES)
def test_the_badge_says_paused_and_an_ended_session_says_how_long_in_seconds(shared_server, contexts, size):
    import re

    job, people = active_job(shared_server)
    fran, cleo = in_room(shared_server, contexts, size, job["id"], people["freelancer"], people["client"])
    go_live(fran, size)
    badge = cleo.locator("#live-badge")
    badge.locator(".live-word", has_text="LIVE").wait_for()
    fran.click("#live-pause")
    badge.locator(".live-word", has_text="Paused").wait_for()
    assert "paused" in badge.get_attribute("class")
    assert fran.locator("#live-badge .live-word").text_content() == "Paused"
    # A reload while paused draws the same badge.
    cleo.reload()
    cleo.wait_for_function("() => document.body.dataset.connection === 'live'")
    assert cleo.locator("#live-badge .live-word").text_content() == "Paused"
    fran.click("#live-pause")
    cleo.locator("#live-badge .live-word", has_text="LIVE").wait_for()
    fran.click("#live-stop")
    show_tab(cleo, size, "Live")
    overlay = cleo.locator("#stage-overlay", has_text="Session ended after")
    overlay.wait_for()
    assert re.fullmatch(r"Session ended after \d+ s", overlay.text_content()), overlay.text_content()
    show_tab(cleo, size, "Chat")
    line = cleo.locator(".event-live", has_text="The live session ended after")
    line.wait_for()
    assert re.search(r"ended after \d+ s\.", line.text_content()), line.text_content()
    assert " 0 min" not in line.text_content()


# ---------------------------------------------------------------- the go-live list follows milestones

def test_the_go_live_list_follows_milestone_state(shared_server, contexts):
    job, people = active_job(shared_server)
    fran_api, cleo_api = people["freelancer"], people["client"]
    fran, = in_room(shared_server, contexts, "laptop", job["id"], fran_api)
    options = "#golive-form select[name=milestone] option"
    assert fran.locator(options).all_text_contents() == ["No milestone", "Concepts", "Final artwork"]
    first = deliver(shared_server, job["id"], fran_api, cleo_api, note="Concepts")
    pay(shared_server, job["id"], fran_api, cleo_api, 50_000, "M1")
    fran.locator(f'.ms[data-milestone-id="{first["id"]}"] .state', has_text="Paid").wait_for()
    fran.wait_for_function(f"() => [...document.querySelectorAll('{options}')].map(o => o.textContent).join('|') === 'No milestone|Final artwork'")
    assert fran.locator("#golive-form select[name=milestone]").evaluate("s => s.selectedOptions[0].textContent") == "Final artwork"


# ---------------------------------------------------------------- wording

def test_wording_tells_each_person_the_truth(shared_server, contexts):
    server = shared_server
    job, people = active_job(server, terms(upfront={"kind": "portion", "amount": 10_000}, milestones=[
        {"title": "Everything", "amount": 50_000, "due": (date.today() + timedelta(days=10)).isoformat(),
         "criteria": [], "revisions": 1}]))
    fran_api, cleo_api = people["freelancer"], people["client"]
    # A revoked invitation's page does not say when the link expires.
    invite = server.api("POST", f"/jobs/{job['id']}/invites", fran_api, {"role": "viewer"}, status=201).json()["invite"]
    server.api("POST", f"/jobs/{job['id']}/invites/{invite['id']}/revoke", fran_api, status=200)
    anonymous = contexts(viewport=SIZES["phone"]).new_page()
    anonymous.goto(f"{server.url}/invite/{invite['token']}")
    assert "was revoked" in anonymous.text_content("main")
    assert "expires" not in anonymous.text_content("main")
    # The up-front amount raised by new terms is stated as the new total.
    raised = terms(upfront={"kind": "portion", "amount": 25_000}, milestones=[
        {"title": "Everything", "amount": 50_000, "due": (date.today() + timedelta(days=10)).isoformat(),
         "criteria": [], "revisions": 1}])
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran_api, raised, status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/2/accept", cleo_api, {"terms_hash": proposed["terms_hash"]}, status=200)
    # A payment sent and not yet confirmed: the freelancer is not told to wait for the freelancer.
    server.api("POST", f"/jobs/{job['id']}/payments", cleo_api, {"amount": 25_000, "method": "bank_transfer", "reference": "Up"},
               headers=key(), status=201)
    # A reply quotes the rendered text, not Markdown.
    server.api("POST", f"/jobs/{job['id']}/messages", cleo_api, {"body": "Use the **blue** one, see [the board](https://example.com/board)"},
               status=201)
    fran = person(server, contexts, "laptop", fran_api)
    open_room(fran, server, job["id"])
    fran.locator(".event-money", has_text="The amount due up front is now 250.00 EUR in total (150.00 EUR more)").wait_for()
    fran.locator("#balance-panel", has_text="waiting for you to confirm").wait_for()
    assert "waiting for the freelancer" not in fran.text_content("body")
    original = fran.locator(".event-message", has_text="Use the blue one")
    original.get_by_role("button", name="Reply").click()
    send(fran, "Blue it is")
    quote = fran.locator(".event-message:not(.pending)", has_text="Blue it is").locator(".reply-quote")
    quote.wait_for()
    assert quote.text_content() == "Client: Use the blue one, see the board"
    cleo = person(server, contexts, "phone", cleo_api)
    open_room(cleo, server, job["id"])
    cleo.locator(".event-message", has_text="Blue it is").locator(".reply-quote", has_text="Use the blue one, see the board").wait_for()
    assert "**" not in cleo.locator(".reply-quote").first.text_content()


def test_an_empty_review_shows_no_empty_quotes(shared_server, contexts):
    job, people = active_job(shared_server, one_milestone())
    deliver_and_pay(shared_server, job, people)
    shared_server.api("POST", f"/jobs/{job['id']}/reviews", people["client"], {"rating": 4, "text": ""}, status=201)
    cleo, = in_room(shared_server, contexts, "laptop", job["id"], people["client"])
    review = cleo.locator("#review-panel")
    review.locator("p", has_text="You left 4 of 5 stars").wait_for()
    assert review.text_content().strip() == "You left 4 of 5 stars."


# ---------------------------------------------------------------- links, the limit, file icons

def test_bare_addresses_become_links_and_nothing_else_does(shared_server, contexts):
    job, people = active_job(shared_server)
    body = ("Look at https://example.com/board?v=2, and www.example.org. "
            "Not `https://code.example/x` nor javascript:alert(1) (see https://en.wikipedia.org/wiki/Logo_(design)).")
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": body}, status=201)
    fran, = in_room(shared_server, contexts, "phone", job["id"], people["freelancer"])
    prose = fran.locator(".event-message .prose", has_text="Look at")
    prose.wait_for()
    links = prose.locator("a").evaluate_all("els => els.map(a => [a.textContent, a.href, a.target, a.rel])")
    assert links == [
        ["https://example.com/board?v=2", "https://example.com/board?v=2", "_blank", "noopener noreferrer nofollow"],
        ["www.example.org", "https://www.example.org/", "_blank", "noopener noreferrer nofollow"],
        ["https://en.wikipedia.org/wiki/Logo_(design)", "https://en.wikipedia.org/wiki/Logo_(design)", "_blank",
         "noopener noreferrer nofollow"],
    ]
    assert prose.locator("code a").count() == 0
    assert "javascript:alert(1)" in prose.text_content()


@pytest.mark.parametrize("size", SIZES)
def test_a_message_over_the_limit_shows_a_counter_and_an_error_and_is_not_cut(shared_server, contexts, size):
    job, people = active_job(shared_server)
    cleo, = in_room(shared_server, contexts, size, job["id"], people["client"])
    text = "x" * 10_250
    cleo.locator("#message-body").fill(text)  # as a paste: one input
    counter = cleo.locator("#composer-count")
    counter.wait_for()
    assert counter.text_content() == "10,250 / 10,000"
    assert "over" in counter.get_attribute("class")
    error = cleo.locator("#composer-error")
    assert error.is_visible() and "limited to 10,000 characters; this one has 10,250" in error.text_content()
    assert len(cleo.input_value("#message-body")) == 10_250  # nothing was cut off
    cleo.press("#message-body", "Enter")
    assert cleo.locator(".pending").count() == 0
    assert error.is_visible()
    cleo.locator("#message-body").fill("x" * 9_500)
    error.wait_for(state="hidden")
    assert counter.text_content() == "9,500 / 10,000" and "over" not in counter.get_attribute("class")
    cleo.locator("#message-body").fill("Short again")
    counter.wait_for(state="hidden")


def test_the_composer_takes_its_limit_from_the_server(shared_server, contexts):
    """The limit is the one the room's state carries (here rewritten to 50 as the page is parsed, before
    its scripts run), not a number of the page's own."""
    job, people = active_job(shared_server)
    cleo = person(shared_server, contexts, "laptop", people["client"])
    cleo.add_init_script("""new MutationObserver(() => {
        const state = document.getElementById("room-state");
        if (state?.textContent.includes('"message_chars": 10000')) {
            state.textContent = state.textContent.replace('"message_chars": 10000', '"message_chars": 50');
        }
    }).observe(document, { childList: true, subtree: true });""")
    open_room(cleo, shared_server, job["id"])
    assert '"message_chars": 50' in cleo.locator("#room-state").text_content()
    cleo.locator("#message-body").fill("y" * 60)
    assert cleo.locator("#composer-count").text_content() == "60 / 50"
    assert "limited to 50 characters; this one has 60" in cleo.locator("#composer-error").text_content()


def test_a_file_has_a_drawn_icon_not_a_missing_glyph(shared_server, contexts):
    import requests

    job, people = active_job(shared_server)
    r = requests.post(f"{shared_server.url}/api/v1/jobs/{job['id']}/attachments",
                      headers={"Authorization": f"Bearer {people['client']['token']}"},
                      files={"file": ("brief.txt", b"The brief, in words.", "text/plain")}, timeout=15)
    assert r.status_code == 201, r.text
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["client"],
                      {"body": "The brief", "attachments": [r.json()["attachment"]["id"]]}, status=201)
    fran, = in_room(shared_server, contexts, "laptop", job["id"], people["freelancer"])
    link = fran.locator(".file-link", has_text="brief.txt")
    link.wait_for()
    assert link.locator("svg.file-icon").count() == 1
    assert link.evaluate("a => getComputedStyle(a, '::before').content") in ("none", "normal")
    assert "⎘" not in link.text_content()


# ---------------------------------------------------------------- the agreement's diff

@pytest.mark.parametrize("size", SIZES)
def test_the_agreement_diff_marks_words_and_fields(shared_server, contexts, size):
    today = date.today()
    first = terms(scope="Design a logo.\n\n- Two concepts in black and white\n- One refinement", upfront={"kind": "none"},
                  milestones=[{"title": "Concepts", "amount": 50_000, "due": (today + timedelta(days=10)).isoformat(),
                               "criteria": [], "revisions": 1},
                              {"title": "Final", "amount": 70_000, "due": (today + timedelta(days=20)).isoformat(),
                               "criteria": [], "revisions": 1}])
    job, people = active_job(shared_server, first)
    second = {**first, "scope": "Design a logo.\n\n- Three concepts in black and white\n- One refinement",
              "milestones": [{**first["milestones"][0], "due": (today + timedelta(days=14)).isoformat()}, first["milestones"][1]]}
    shared_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], second, status=201)
    page = person(shared_server, contexts, size, people["client"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/agreement")
    diff = page.locator(".scope-diff")
    diff.locator("ins").first.wait_for()
    assert diff.locator("del").all_text_contents() == ["Two"]
    assert diff.locator("ins").all_text_contents() == ["Three"]
    # One line per line: no blank line between them (the old <pre> doubled every line break).
    heights = diff.locator(":scope > div").evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    line = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.scope-diff')).lineHeight) || 20")
    assert all(h < line * 1.6 for h in heights if h), (heights, line)
    # The moved due date is its own row; unchanged fields are not repeated.
    moved = page.locator("table.diff tr.changed[data-field='due date']")
    assert moved.count() == 1
    assert "Milestone 1" in moved.locator("th").text_content()
    assert moved.locator("td.before").text_content() != moved.locator("td.after").text_content()
    assert page.locator("table.diff tr[data-field='amount'], table.diff tr[data-field='title']").count() == 0
    assert page.locator("table.diff tr.ms-diff", has_text="Milestone 2").locator("td.after").text_content() == "unchanged"
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth")
