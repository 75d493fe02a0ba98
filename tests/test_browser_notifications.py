"""In Chromium: the bell and the tab title follow notifications live, an entry opens the room at its
event, "Mark all read" clears the badge, and the bell works on a phone-sized screen."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_support import SIZES, log_in
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def active_job(server):
    """A job with terms in force (nothing up front) and a client with nothing unread."""
    job, people = job_with_people(server)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
                          terms(upfront={"kind": "none"}), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
               {"terms_hash": proposed["terms_hash"]}, status=200)
    job = server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]
    server.api("POST", "/notifications/read", people["client"], {"all": True}, status=200)
    return job, people


def bell_ready(page):
    """The page's notification socket is connected (so pushes from now on reach it)."""
    page.wait_for_function("() => window.__notifications && window.__notifications.socket.connected")


def test_bell_and_title_follow_a_submission_live_and_open_the_event(shared_server, contexts):
    server = shared_server
    job, people = active_job(server)
    cleo = contexts().new_page()
    log_in(cleo, server, people["client"])  # lands on the dashboard, not in the room
    bell_ready(cleo)
    assert cleo.title() == "My jobs · Workspace"
    assert cleo.locator("#bell-count").is_hidden()

    milestone = job["milestones"][0]
    server.api("POST", f"/milestones/{milestone['id']}/submit", people["freelancer"],
               {"note": "Two concepts, see the notes"}, status=200)
    cleo.wait_for_function("() => document.title === '(1) My jobs · Workspace'")
    assert cleo.text_content("#bell-count") == "1"
    assert cleo.get_attribute("#bell-button", "aria-label") == "Notifications, 1 unread"

    # A second tab of the same person hears it too, and the list page shows it.
    other_tab = cleo.context.new_page()
    other_tab.goto(server.url + "/notifications")
    assert other_tab.title() == "(1) Notifications · Workspace"
    assert other_tab.locator(".notification-item.unread").count() == 1
    bell_ready(other_tab)

    cleo.click("#bell-button")
    entry = cleo.locator("#bell-list .bell-item.unread a", has_text="submitted “Concepts”")
    entry.wait_for()
    assert "Two concepts, see the notes" in entry.text_content()
    seq = int(re.search(r"event=(\d+)", entry.get_attribute("href")).group(1))
    entry.click()

    cleo.wait_for_url(f"{server.url}/jobs/{job['id']}/?event={seq}#event-{seq}")
    target = cleo.locator(f"#event-{seq}")
    target.wait_for()
    assert "submitted “Concepts” for review" in target.text_content()
    cleo.wait_for_function(f"() => document.getElementById('event-{seq}').classList.contains('event-target')")
    assert target.is_visible() and _in_view(cleo, f"#event-{seq}")
    assert cleo.evaluate("() => window.__notifications.socket === window.__room.socket")  # one socket per page
    # Opening it (and reading the room) reads it: both tabs drop the count.
    cleo.wait_for_function("() => document.title === 'Live job · Workspace'")
    other_tab.wait_for_function("() => document.title === 'Notifications · Workspace'")
    assert cleo.locator("#bell-count").is_hidden()


def _in_view(page, selector):
    return page.eval_on_selector(selector, """node => {
        const r = node.getBoundingClientRect();
        const s = document.getElementById('timeline-scroll').getBoundingClientRect();
        return r.top >= Math.max(0, s.top) - 1 && r.bottom <= Math.min(window.innerHeight, s.bottom) + 1;
    }""")


def test_a_link_deep_in_a_long_room_opens_there(shared_server, contexts):
    server = shared_server
    job, people = active_job(server)
    first = server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"],
                       {"body": "The one to find"}, status=201).json()["event"]["seq"]
    for n in range(80):
        server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"later {n}"}, status=201)
    page = contexts().new_page()
    log_in(page, server, people["viewer"])
    page.goto(f"{server.url}/jobs/{job['id']}/?event={first}#event-{first}")
    page.wait_for_function("() => document.body.dataset.connection === 'live'")
    page.wait_for_function(f"() => document.getElementById('event-{first}')?.classList.contains('event-target')")
    assert "The one to find" in page.text_content(f"#event-{first}")
    assert _in_view(page, f"#event-{first}")
    assert page.locator("#new-below").is_visible()  # newer messages wait below


def test_mark_all_read_on_a_phone(shared_server, contexts):
    server = shared_server
    job, people = active_job(server)
    phone = contexts(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, server, people["client"])
    bell_ready(phone)
    for body in ("First question", "Second question", "Third question"):
        server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": body}, status=201)
    phone.wait_for_function("() => document.title === '(3) My jobs · Workspace'")

    # The header stays on one line and the bell is a comfortable target.
    header = phone.locator(".topbar").bounding_box()
    assert header["height"] < 64, header
    bell = phone.locator("#bell-button").bounding_box()
    assert bell["width"] >= 36 and bell["height"] >= 36 and bell["x"] + bell["width"] <= PHONE["width"]

    phone.locator("#bell-button").tap()
    panel = phone.locator("#bell-panel")
    panel.wait_for()
    phone.locator("#bell-list .bell-item", has_text="Third question").wait_for()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"]
    assert phone.locator("#bell-list .bell-item.unread").count() == 3

    phone.get_by_role("button", name="Mark all read").tap()
    phone.wait_for_function("() => document.title === 'My jobs · Workspace'")
    assert phone.locator("#bell-count").is_hidden()
    assert phone.locator("#bell-list .bell-item.unread").count() == 0
    assert server.api("GET", "/notifications?unread=1", people["client"], status=200).json()["unread"] == 0

    # Escape or a tap outside closes it; "See all" leads to the full list.
    phone.keyboard.press("Escape")
    assert panel.is_hidden()
    phone.locator("#bell-button").tap()
    phone.locator("#bell-panel").get_by_role("link", name="See all").tap()
    phone.wait_for_url(server.url + "/notifications")
    assert phone.locator(".notification-item", has_text="question").count() == 3
    assert phone.locator(".notification-item.unread").count() == 0


def test_browser_notifications_are_asked_for_only_after_the_click(shared_server, contexts):
    server = shared_server
    job, people = active_job(server)
    context = contexts()
    page = context.new_page()
    log_in(page, server, people["client"])
    page.goto(server.url + "/settings/notifications")
    assert page.evaluate("() => Notification.permission") == "default"  # nothing asked on load
    assert page.text_content("#browser-status") == "Off on this device."
    context.grant_permissions(["notifications"], origin=server.url)
    page.get_by_role("button", name="Turn on browser notifications").click()
    page.locator("#browser-status", has_text="On for this device").wait_for()
    assert page.evaluate("() => localStorage.getItem('workspace.browserNotifications')") == "on"

    # While the tab is hidden, each new notification becomes a system notification; clicking it opens
    # the event. (The page is told it is hidden; Notification is wrapped only to see what was shown.)
    page.add_init_script("""
        Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => window.__hidden === true });
        window.__shown = [];
        window.Notification = class extends window.Notification {
          constructor(title, options) { super(title, options); window.__shown.push({ note: this, title, options }); }
        };
    """)
    page.goto(server.url + "/jobs")
    page.wait_for_function("() => window.__notifications && window.__notifications.socket.connected")
    event = server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "Seen while away?"},
                       status=201).json()["event"]
    page.wait_for_function("() => document.title.startsWith('(1) ')")
    assert page.evaluate("() => window.__shown.length") == 0  # a visible tab shows only the badge
    page.evaluate("() => { window.__hidden = true; }")
    server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "Now?"}, status=201)
    page.wait_for_function("() => window.__shown.length === 1")
    shown = page.evaluate("() => ({ title: window.__shown[0].title, body: window.__shown[0].options.body })")
    latest = server.api("GET", "/notifications?limit=1", people["client"], status=200).json()["notifications"][0]
    assert shown == {"title": latest["title"], "body": latest["body"]} and "Now?" in latest["body"]
    page.evaluate("() => { window.__hidden = false; window.__shown[0].note.dispatchEvent(new Event('click')); }")
    page.wait_for_url(f"{server.url}/jobs/{job['id']}/?event={event['seq'] + 1}#event-{event['seq'] + 1}")

    page.goto(server.url + "/settings/notifications")
    page.get_by_role("button", name="Turn off on this device").click()
    assert page.evaluate("() => localStorage.getItem('workspace.browserNotifications')") is None


LONG_TITLE = "Logo and brand kit for the Northwind Coffee Roasters spring relaunch"


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_bell_items_wrap_inside_the_panel_and_quote_messages_as_plain_text(shared_server, contexts, size):
    """Long titles wrap (two lines at most, then an ellipsis) inside the panel; bodies show no Markdown."""
    server = shared_server
    people = {role: server.signup(role) for role in ("freelancer", "client")}
    job = server.api("POST", "/jobs", people["freelancer"], {"title": LONG_TITLE}, status=201).json()["job"]
    invite = server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "client"},
                        status=201).json()["invite"]
    server.api("POST", f"/invites/{invite['token']}/accept", people["client"], status=200)
    page = contexts(viewport=SIZES[size]).new_page()
    log_in(page, server, people["client"])
    bell_ready(page)
    for body in ("Looks great, thanks! Quick q: can we add a **favicon**?",
                 "Here are **two directions**:\n- A: classic serif\n- B: a [bold](https://example.com) geometric sans",
                 "Averyveryverylongwordwithoutanyspacesthatcannotwrapanywhereatallunlessbrokenanywhere" * 2):
        server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": body}, status=201)
    page.wait_for_function("() => document.title.startsWith('(3) ')")
    page.click("#bell-button")
    page.locator("#bell-list .bell-item", has_text="favicon").wait_for()
    page.locator("#bell-list .bell-item", has_text="two directions").wait_for()

    panel = page.locator("#bell-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= SIZES[size]["width"], panel
    texts = page.eval_on_selector_all("#bell-list .bell-item-title, #bell-list .bell-item-body", """nodes => nodes.map(n => {
        const r = n.getBoundingClientRect(), p = document.getElementById('bell-panel').getBoundingClientRect();
        const lines = Math.round(r.height / parseFloat(getComputedStyle(n).lineHeight));
        return { text: n.textContent, scroll: n.scrollWidth, client: n.clientWidth, lines,
                 inside: r.left >= p.left - 1 && r.right <= p.right + 1 };
    })""")
    titles = [t for t in texts if t["text"].startswith("Freelancer wrote")]
    assert len(titles) == 3, texts
    for t in texts:  # nothing is cut off at the right edge: it wraps, within the panel
        assert t["scroll"] <= t["client"] + 1 and t["inside"], (size, t)
        assert 1 <= t["lines"] <= 2, (size, t)
    assert all(t["lines"] == 2 for t in titles), titles  # the long job title wraps onto a second line
    bodies = [t["text"] for t in texts if t not in titles]
    assert "Looks great, thanks! Quick q: can we add a favicon?" in bodies
    assert "Here are two directions: A: classic serif B: a bold geometric sans" in bodies
    assert not any("**" in b or "](" in b for b in bodies), bodies
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / f"bell-open-{size}.png"))
