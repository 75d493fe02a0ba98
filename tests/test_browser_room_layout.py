"""In Chromium at 1366x800 and 390x844: the room is chat first (the composer always in view, the
chat no taller than the screen, the sidebar scrolling on its own), a live session is watched beside
the chat, the phone has real tabs, the money card's figures never overlap, the header stays on one
line, and what a person must do now is one call-to-action bar. Screenshots go to tests/artifacts/."""
from __future__ import annotations

import os
import re
from datetime import date, timedelta

import pytest

from tests.browser_support import (
    SIZES,
    deliver,
    go_live,
    in_room,
    log_in,
    open_room,
    pay,
    person,
    show_tab,
)
from tests.conftest import ARTIFACTS
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser

SHOT_SUFFIX = os.environ.get("LAYOUT_SHOT_SUFFIX", "")



def big_terms() -> dict:
    """Amounts in the millions, so every figure of the money card is as wide as it gets."""
    today = date.today()
    return terms(upfront={"kind": "portion", "amount": 30_000_000}, milestones=[
        {"title": "Concepts", "amount": 200_000_000, "due": (today + timedelta(days=10)).isoformat(),
         "criteria": ["Two directions", "Black and white"], "revisions": 2},
        {"title": "Final artwork and the brand book", "amount": 150_000_000,
         "due": (today + timedelta(days=30)).isoformat(), "criteria": [], "revisions": 1},
    ])


def active_job(server, body=None):
    return job_in_force(server, body or big_terms())


def busy_job(server):
    """Upfront paid and confirmed, milestone 1 approved (owed), milestone 2 submitted, a chat history."""
    job, people = active_job(server)
    fran, cleo = people["freelancer"], people["client"]
    pay(server, job["id"], fran, cleo, 30_000_000, "Upfront")
    deliver(server, job["id"], fran, cleo, 0, "Two concepts")
    deliver(server, job["id"], fran, cleo, 1, "Final files", approve=False)
    for n in range(30):
        server.api("POST", f"/jobs/{job['id']}/messages", fran if n % 2 else cleo,
                   {"body": f"Message {n}: how about the **blue** one? " + "words " * (n % 7)}, status=201)
    return job, people


def shot(page, name, size):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size}{SHOT_SUFFIX}.png"), full_page=True)


IN_VIEWPORT = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
}"""
RECT = "(e) => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, right: r.right, bottom: r.bottom}; }"


def in_viewport(page, selector):
    return page.evaluate(IN_VIEWPORT, selector)



def overlap(a, b):
    return a["x"] < b["right"] - 0.5 and b["x"] < a["right"] - 0.5 and a["y"] < b["bottom"] - 0.5 and b["y"] < a["bottom"] - 0.5


def inside(inner, outer):
    return (inner["x"] >= outer["x"] - 0.5 and inner["right"] <= outer["right"] + 0.5
            and inner["y"] >= outer["y"] - 0.5 and inner["bottom"] <= outer["bottom"] + 0.5)


def assert_header_one_line(page):
    logo = page.locator(".topbar .brand").bounding_box()
    logout = page.get_by_role("button", name="Log out").bounding_box()
    assert abs(logo["y"] + logo["height"] / 2 - (logout["y"] + logout["height"] / 2)) < 8, (logo, logout)
    assert logout["x"] + logout["width"] <= page.viewport_size["width"], logout
    topbar = page.locator(".topbar").bounding_box()
    assert topbar["height"] < 70, topbar


def assert_nothing_clipped(page, selector):
    sizes = page.eval_on_selector(selector, "e => [e.scrollWidth, e.clientWidth]")
    assert sizes[0] <= sizes[1], (selector, sizes)


@pytest.mark.parametrize("size", SIZES)
def test_the_composer_is_always_in_view_and_the_chat_fits_the_screen(shared_server, contexts, size):
    job, people = busy_job(shared_server)
    height = SIZES[size]["height"]
    for who in ("freelancer", "client"):
        page = person(shared_server, contexts, size, people[who])
        open_room(page, shared_server, job["id"])
        assert in_viewport(page, "#composer"), who
        assert page.locator(".room-main").bounding_box()["height"] <= height
        # The page itself does not scroll: the timeline does (and on a laptop the sidebar too).
        assert page.evaluate("() => document.scrollingElement.scrollHeight <= innerHeight + 1")
        assert page.evaluate("() => { const s = document.getElementById('timeline-scroll'); return s.scrollHeight > s.clientHeight; }")
        assert_header_one_line(page)
        assert_nothing_clipped(page, ".job-head .tabs")
        if size == "laptop":
            side = page.locator("#room-side")
            assert side.evaluate("e => getComputedStyle(e).overflowY") == "auto"
            assert side.evaluate("e => e.scrollHeight > e.clientHeight")
            side.evaluate("e => { e.scrollTop = e.scrollHeight; }")
            assert in_viewport(page, "#composer")  # the sidebar scrolled, the chat did not move
            assert page.locator(".room-tabs").is_hidden()
        else:
            assert_nothing_clipped(page, "#room-tabs")
        # Sending keeps the composer where it is and the new message in view.
        page.fill("#message-body", f"From the {who} at {size}")
        page.press("#message-body", "Enter")
        page.locator(".event-message:not(.pending) .prose", has_text=f"From the {who} at {size}").wait_for()
        assert in_viewport(page, "#composer")
        assert in_viewport(page, ".event-message:last-child .bubble")



VIDEO_PLAYS = """async () => {
  const v = document.getElementById('live-video');
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline && !(v.videoWidth > 0 && v.currentTime > 0)) await new Promise(r => setTimeout(r, 100));
  return v.videoWidth > 0 && v.currentTime > 0;
}"""


@pytest.mark.parametrize("size", SIZES)
def test_watching_and_chatting_at_once(shared_server, contexts, size):
    job, people = active_job(shared_server)
    fran, cleo = in_room(shared_server, contexts, size, job["id"], people["freelancer"], people["client"])
    go_live(fran, size)
    cleo.locator("#live-badge").wait_for()
    show_tab(cleo, size, "Live")
    assert cleo.evaluate(VIDEO_PLAYS)
    # The video and the composer are on screen together; full screen is one click away.
    for page in (cleo, fran):
        assert in_viewport(page, "#live-video"), page
        assert in_viewport(page, "#composer"), page
        assert page.locator("#fullscreen").is_visible()
    if size == "laptop":
        video, chat = cleo.locator("#stage").bounding_box(), cleo.locator(".room-main").bounding_box()
        assert video["width"] >= 480  # a screen you can read, beside the chat
        assert chat["height"] >= 400
    # Reply while watching: the freelancer sees it.
    cleo.fill("#message-body", "Love the second one")
    cleo.press("#message-body", "Enter")
    show_tab(fran, size, "Chat")
    fran.locator(".event-message .prose", has_text="Love the second one").wait_for()
    assert in_viewport(fran, "#composer")
    cleo.screenshot(path=str(ARTIFACTS / f"room-live-client-{size}{SHOT_SUFFIX}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_the_money_figures_never_overlap(shared_server, contexts, size):
    job, people = busy_job(shared_server)
    labels = {"client": "You owe", "freelancer": "Owed to you", "viewer": "Owed now"}
    for who, label in labels.items():
        page = person(shared_server, contexts, size, people[who])
        open_room(page, shared_server, job["id"])
        show_tab(page, size, "Milestones & money")
        page.locator(".figure.owed dd", has_text="1,700,000.00 EUR").wait_for()
        assert page.locator(".figure dt").first.text_content() == label
        figures = page.locator(".figure").evaluate_all(f"els => els.map({RECT})")
        assert len(figures) == 6
        for i, a in enumerate(figures):
            for b in figures[i + 1:]:
                assert not overlap(a, b), (who, size, a, b)
        for n in range(6):
            box = figures[n]
            for part in page.locator(".figure").nth(n).locator("dt, .money").evaluate_all(f"els => els.map({RECT})"):
                assert inside(part, box), (who, size, n, part, box)
        card = page.locator(".money-card").evaluate(RECT)
        assert all(inside(f, card) for f in figures)


def test_the_phone_room_is_tabs(shared_server, contexts):
    job, people = busy_job(shared_server)
    cleo, = in_room(shared_server, contexts, "phone", job["id"], people["client"])
    tabs = cleo.get_by_role("tab")
    assert tabs.all_text_contents() == ["Chat", "Milestones & money", "Live", "Info"]
    assert cleo.get_by_role("tab", name="Chat").get_attribute("aria-selected") == "true"
    assert cleo.get_by_role("tabpanel").count() == 1 and cleo.locator("#panel-chat").is_visible()
    # Click: the panel changes; the chat stays in the DOM and keeps receiving messages.
    cleo.get_by_role("tab", name="Milestones & money").click()
    panel = cleo.get_by_role("tabpanel")
    assert panel.get_attribute("id") == "panel-work"
    assert panel.get_attribute("aria-labelledby") == "tab-work"
    assert cleo.locator("#milestones-panel .ms").first.is_visible()
    assert cleo.locator("#panel-chat").is_hidden()
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "While you were in the money tab"},
                      status=201)
    cleo.locator("#timeline .prose", has_text="While you were in the money tab").wait_for(state="attached")
    # Keyboard: arrows move and select, Home and End jump, focus follows.
    cleo.get_by_role("tab", name="Milestones & money").focus()
    cleo.keyboard.press("ArrowRight")
    assert cleo.evaluate("() => document.activeElement.id") == "tab-live"
    assert cleo.get_by_role("tab", name="Live").get_attribute("aria-selected") == "true"
    assert cleo.locator(".live-empty").is_visible()
    cleo.keyboard.press("ArrowRight")
    assert cleo.get_by_role("tabpanel").get_attribute("id") == "panel-info"
    cleo.keyboard.press("ArrowRight")  # wraps around
    assert cleo.evaluate("() => document.activeElement.id") == "tab-chat"
    cleo.keyboard.press("End")
    assert cleo.get_by_role("tabpanel").get_attribute("id") == "panel-info"
    assert cleo.locator("#panel-info .people:not(.here)").is_visible()
    cleo.keyboard.press("Home")
    assert cleo.get_by_role("tabpanel").get_attribute("id") == "panel-chat"
    assert [t.get_attribute("tabindex") for t in tabs.all()] == ["0", "-1", "-1", "-1"]
    # Back on the chat: the message that came while it was hidden is in view, the composer too.
    assert in_viewport(cleo, "#composer")
    cleo.locator("#timeline .prose", has_text="While you were in the money tab").wait_for()
    assert in_viewport(cleo, ".event-message:last-child .bubble")
    # A link to an event (a notification's) brings the chat back from another tab.
    cleo.get_by_role("tab", name="Info").click()
    seq = cleo.eval_on_selector("#timeline li[data-seq]", "e => Number(e.dataset.seq)")
    assert cleo.evaluate(f"() => window.__room.reveal({seq})")
    assert cleo.get_by_role("tab", name="Chat").get_attribute("aria-selected") == "true"
    assert in_viewport(cleo, f'#timeline li[data-seq="{seq}"]')
    # On a laptop the same page has no tabs: every panel shows, without tab roles.
    cleo.set_viewport_size(SIZES["laptop"])
    cleo.wait_for_function("() => !document.querySelector('[role=tabpanel]')")
    assert cleo.locator("#panel-work").is_visible() and cleo.locator("#panel-chat").is_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_call_to_action_leads_the_client_to_the_approve_step(shared_server, contexts, size):
    job, people = active_job(shared_server)
    cleo, fran = in_room(shared_server, contexts, size, job["id"], people["client"], people["freelancer"])
    cta = cleo.locator("#next-steps")
    # The up-front portion is owed first; nothing for the freelancer to do yet.
    cta.get_by_role("button", name="Record a payment").wait_for()
    assert fran.locator("#next-steps").is_hidden()
    milestone = shared_server.api("GET", f"/jobs/{job['id']}", people["freelancer"], status=200).json()["job"]["milestones"][0]
    shared_server.api("POST", f"/milestones/{milestone['id']}/submit", people["freelancer"], {"note": "Two concepts"}, status=200)
    cta.locator(".cta-item", has_text="Concepts").wait_for()
    assert "waits for your review" in cta.locator(".cta-item").text_content()
    assert cta.locator(".cta-more").get_by_role("button", name="Record a payment").is_visible()  # the next one, smaller
    assert in_viewport(cleo, "#next-steps .cta-item .button")
    cta.get_by_role("button", name="Review the submission").click()
    confirm = cleo.get_by_role("button", name=re.compile(r"^Confirm approval: you will owe [\d,.]+ EUR$"))
    confirm.wait_for()
    assert in_viewport(cleo, f'.ms[data-milestone-id="{milestone["id"]}"] .confirm-step')
    for box in cleo.locator(f'.ms[data-milestone-id="{milestone["id"]}"] .checklist input').all():
        box.check()
    confirm.click()
    # Approved: the review step leaves the bar, which now asks for the payment, live.
    cta.locator(".cta-item", has_text="You owe").wait_for()
    assert cta.locator("[data-step^=review-]").count() == 0
    cta.get_by_role("button", name="Record a payment").click()
    cleo.locator(".pay-form input").first.wait_for()
    assert in_viewport(cleo, ".pay-form")
    cleo.locator(".pay-form input").nth(1).fill("SEPA 1")
    cleo.locator(".pay-form").get_by_role("button", name="Record payment").click()
    # The freelancer is asked to confirm it; confirming empties their bar.
    fcta = fran.locator("#next-steps")
    fcta.get_by_role("button", name="Confirm the payment").click()
    fran.locator(".payment-sent").get_by_role("button", name="Confirm received").click()
    fcta.wait_for(state="hidden")


def one_milestone_terms(**changes):
    due = (date.today() + timedelta(days=10)).isoformat()
    return terms(upfront={"kind": "none"}, milestones=[
        {"title": "Everything", "amount": 50_000, "due": due, "criteria": [], "revisions": 1}], **changes)


def test_the_call_to_action_asks_for_new_terms_then_a_review(shared_server, contexts):
    job, people = active_job(shared_server, one_milestone_terms())
    fran_api, cleo_api = people["freelancer"], people["client"]
    cleo = person(shared_server, contexts, "phone", cleo_api)
    fran = person(shared_server, contexts, "laptop", fran_api)
    open_room(cleo, shared_server, job["id"])
    open_room(fran, shared_server, job["id"])
    cta, fcta = cleo.locator("#next-steps"), fran.locator("#next-steps")
    assert cta.is_hidden() and fcta.is_hidden()
    # New terms: the client is asked to accept them (a link to the agreement), the proposer is not.
    proposed = shared_server.api("POST", f"/jobs/{job['id']}/agreements", fran_api,
                                 one_milestone_terms(scope="Design a logo and a business card."), status=201).json()["agreement"]
    link = cta.get_by_role("link", name="Review the terms")
    link.wait_for()
    assert "Version 2 of the terms" in cta.text_content()
    assert link.get_attribute("href") == f"/jobs/{job['id']}/agreement"
    assert fcta.is_hidden()
    shared_server.api("POST", f"/jobs/{job['id']}/agreements/2/accept", cleo_api,
                      {"terms_hash": proposed["terms_hash"]}, status=200)
    cta.wait_for(state="hidden")
    # Delivered, approved, paid and confirmed: the job is complete and both are asked for a review.
    deliver(shared_server, job["id"], fran_api, cleo_api)
    pay(shared_server, job["id"], fran_api, cleo_api, 50_000, "Final")
    for page, bar in ((cleo, cta), (fran, fcta)):
        bar.get_by_role("button", name="Leave a review").wait_for()
        assert "The job is complete." in bar.text_content()
    cta.get_by_role("button", name="Leave a review").click()
    assert cleo.get_by_role("tab", name="Milestones & money").get_attribute("aria-selected") == "true"
    assert in_viewport(cleo, ".review-card textarea")
    cleo.locator(".review-card textarea").fill("Clear and on time.")
    cleo.locator(".review-card").get_by_role("button", name="Post review").click()
    # Reviewed: the review step leaves the bar (the completion banner stays, without a button).
    cta.locator(".cta-item", has_text="Thank you for your review").wait_for()
    assert cta.get_by_role("button").count() == 0
    assert fcta.get_by_role("button", name="Leave a review").is_visible()  # the freelancer has not left theirs yet


def test_a_client_joining_later_is_asked_to_accept_the_terms_in_force(shared_server, contexts):
    job, people = active_job(shared_server, one_milestone_terms())
    late = shared_server.signup("late-client")
    invite = shared_server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "client"},
                               status=201).json()["invite"]
    shared_server.api("POST", f"/invites/{invite['token']}/accept", late, status=200)
    page, = in_room(shared_server, contexts, "laptop", job["id"], late)
    bar = page.locator("#next-steps")
    bar.get_by_role("link", name="Review and accept").wait_for()
    assert "Accept the terms in force" in bar.text_content()
    viewer, = in_room(shared_server, contexts, "laptop", job["id"], people["viewer"])
    assert viewer.locator("#next-steps").is_hidden()
    assert in_viewport(viewer, ".viewer-note")


@pytest.mark.parametrize("width", [320, 390, 600, 768, 1000, 1366])
def test_the_header_stays_on_one_line(shared_server, contexts, width):
    job, people = active_job(shared_server)
    page = contexts(viewport={"width": width, "height": 800}).new_page()
    log_in(page, shared_server, people["freelancer"])
    for path in ("/jobs", f"/jobs/{job['id']}/", f"/jobs/{job['id']}/agreement", "/notifications"):
        page.goto(shared_server.url + path)
        assert_header_one_line(page)
        assert page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth"), (width, path)
        assert_nothing_clipped(page, ".topnav")
        if "/jobs/" in path:
            assert_nothing_clipped(page, ".job-head .tabs")
        if path.endswith("/") and width < 1000:
            assert_nothing_clipped(page, "#room-tabs")


FITS = """() => {
  const wide = document.scrollingElement.scrollWidth <= innerWidth;
  const spill = [...document.querySelectorAll('.card dd, .card h1, .card h2, .job-head h1')].filter((e) => {
    const card = e.closest('.card, .job-head').getBoundingClientRect();
    return e.getBoundingClientRect().right > card.right + 0.5;
  }).map((e) => e.textContent.trim());
  return {wide, spill};
}"""


def assert_page_fits(page, name):
    fits = page.evaluate(FITS)
    assert fits == {"wide": True, "spill": []}, (name, fits)
    logo = page.locator(".topbar .brand").bounding_box()
    last = page.locator(".topnav > *").last.bounding_box()
    assert abs(logo["y"] + logo["height"] / 2 - (last["y"] + last["height"] / 2)) < 8, (name, logo, last)


@pytest.mark.parametrize("size", SIZES)
def test_screenshots_of_each_page(shared_server, contexts, size):
    """Every page at both sizes: saved for the reviewer, and checked for a one-line header and nothing
    running past the screen or out of its card."""
    job, people = busy_job(shared_server)
    for who in ("freelancer", "client"):
        page = person(shared_server, contexts, size, people[who])
        open_room(page, shared_server, job["id"])
        page.locator("#balance-panel .figure").first.wait_for(state="attached")
        shot(page, f"room-{who}", size)
        assert_page_fits(page, "room")
        show_tab(page, size, "Milestones & money")
        page.locator(".money-card").evaluate("e => e.scrollIntoView({block: 'start'})")
        shot(page, f"room-money-{who}", size)
        assert_page_fits(page, "room, money in view")
        pages = {"dashboard": "/jobs", "agreement": f"/jobs/{job['id']}/agreement", "notifications": "/notifications",
                 "diary": f"/jobs/{job['id']}/diary/", "account": "/account", "new-job": "/jobs/new"}
        if who == "freelancer":
            pages = {"invites": f"/jobs/{job['id']}/invites", "dashboard-freelancer": "/jobs"}
        for name, path in pages.items():
            page.goto(shared_server.url + path)
            shot(page, name, size)
            assert_page_fits(page, name)
            if name.startswith("dashboard"):  # whose money it is, as in the room
                assert {"client": "You owe", "freelancer": "Owed to you"}[who] in page.locator(".job-card dl").text_content()
    invite = shared_server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "viewer"},
                               status=201).json()["invite"]
    anonymous = contexts(viewport=SIZES[size]).new_page()
    for name, path in {"login": "/login", "signup": "/signup", "invite-page": f"/invite/{invite['token']}"}.items():
        anonymous.goto(shared_server.url + path)
        shot(anonymous, name, size)
        assert_page_fits(anonymous, name)
