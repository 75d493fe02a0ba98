"""Accessibility in Chromium at 1366x800 and 390x844: axe-core (the engine behind Lighthouse's audit,
vendored under tests/vendor/axe-core and injected by these tests only) runs the WCAG 2.0/2.1 A and
AA rules on every page, and no serious or critical violation is allowed. A keyboard walk through the
room reaches the composer, the send button, the phone tabs and each milestone action, each with a
visible focus indicator. Screenshots go to tests/artifacts/a11y-<page>-<size>.png."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import SIZES, log_in, open_room
from tests.conftest import ARTIFACTS
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every WCAG 2.0/2.1 A/AA violation axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE + "\n;true")  # through the DevTools protocol: the page's CSP does not apply
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}  —  {summary[:300]}")
    return "\n".join(lines)


def shot(page: Any, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{size}.png"), full_page=True)


def assert_accessible(page: Any, name: str, size: str) -> None:
    shot(page, name, size)
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {name} at {size} ({page.url}):\n{describe(blocking)}"


# ---------------------------------------------------------------- the world the pages show

def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


@pytest.fixture(scope="module")
def world(shared_server: Any) -> dict[str, Any]:
    """A job with terms in force, the up-front payment confirmed, milestone 1 approved, milestone 2
    submitted, a chat, and version 2 of the terms proposed (a diff to read); an open invitation; the
    freelancer's public profile; a person with no jobs at all."""
    server = shared_server
    job, people = job_with_people(server)
    fran, cleo = people["freelancer"], people["client"]
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran, terms(), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo, {"terms_hash": proposed["terms_hash"]},
               status=200)
    payment = server.api("POST", f"/jobs/{job['id']}/payments", cleo,
                         {"amount": 10000, "method": "bank_transfer", "reference": "Upfront"},
                         headers=key(), status=201).json()["payment"]
    server.api("POST", f"/payments/{payment['id']}/confirm", fran, {}, headers=key(), status=200)
    milestones = server.api("GET", f"/jobs/{job['id']}", fran, status=200).json()["job"]["milestones"]
    server.api("POST", f"/milestones/{milestones[0]['id']}/submit", fran, {"note": "Two concepts"}, status=200)
    server.api("POST", f"/milestones/{milestones[0]['id']}/approve", cleo, {}, headers=key(), status=200)
    server.api("POST", f"/milestones/{milestones[1]['id']}/submit", fran, {"note": "Final files, see **the zip**"},
               status=200)
    for n in range(6):
        server.api("POST", f"/jobs/{job['id']}/messages", fran if n % 2 else cleo,
                   {"body": f"Message {n}: how about the **blue** one? See https://example.com/{n}"}, status=201)
    today = date.today()
    changed = terms(
        scope="Design a logo and a small brand book.\n\n- Two concepts\n- Two refinements",
        deadline=(today + timedelta(days=40)).isoformat(),
        milestones=[
            {"title": "Concepts", "amount": 30000, "due": (today + timedelta(days=10)).isoformat(),
             "criteria": ["Two directions", "Black and white"], "revisions": 2},
            {"title": "Final", "amount": 20000, "due": (today + timedelta(days=35)).isoformat(),
             "criteria": [], "revisions": 1},
            {"title": "Brand book", "amount": 15000, "due": (today + timedelta(days=40)).isoformat(),
             "criteria": ["Colours", "Type"], "revisions": 1},
        ])
    server.api("POST", f"/jobs/{job['id']}/agreements", fran, changed, status=201)
    invite = server.api("POST", f"/jobs/{job['id']}/invites", fran, {"role": "client"}, status=201).json()["invite"]
    done = completed_job(server, fran, cleo)
    members = server.api("GET", f"/jobs/{job['id']}", fran, status=200).json()["job"]["members"]
    profile = next(m["profile_url"] for m in members if m.get("profile_url"))
    return {"job": job, "done": done, "people": people, "newcomer": server.signup("newcomer"),
            "invite": invite["token"], "profile": profile}


def completed_job(server: Any, fran: dict[str, Any], cleo: dict[str, Any]) -> dict[str, Any]:
    """A second job of the same two people, delivered, paid and reviewed (the profile shows the review)."""
    job = server.api("POST", "/jobs", fran, {"title": "Business cards"}, status=201).json()["job"]
    invite = server.api("POST", f"/jobs/{job['id']}/invites", fran, {"role": "client"}, status=201).json()["invite"]
    server.api("POST", f"/invites/{invite['token']}/accept", cleo, status=200)
    body = terms(upfront={"kind": "none"}, milestones=[
        {"title": "Cards", "amount": 25000, "due": (date.today() + timedelta(days=5)).isoformat(),
         "criteria": ["Print-ready PDF"], "revisions": 1}])
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran, body, status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo, {"terms_hash": proposed["terms_hash"]},
               status=200)
    milestone = server.api("GET", f"/jobs/{job['id']}", fran, status=200).json()["job"]["milestones"][0]
    server.api("POST", f"/milestones/{milestone['id']}/submit", fran, {"note": "Print-ready"}, status=200)
    server.api("POST", f"/milestones/{milestone['id']}/approve", cleo, {}, headers=key(), status=200)
    payment = server.api("POST", f"/jobs/{job['id']}/payments", cleo,
                         {"amount": 25000, "method": "bank_transfer", "reference": "Cards"},
                         headers=key(), status=201).json()["payment"]
    server.api("POST", f"/payments/{payment['id']}/confirm", fran, {}, headers=key(), status=200)
    server.api("POST", f"/jobs/{job['id']}/reviews", cleo, {"rating": 4, "text": "Clear, quick and kind.",
                                                            "consent_to_name": True}, status=201)
    return job


def open_page(server: Any, contexts: Any, size: str, who: dict[str, Any] | None, path: str) -> Any:
    page = contexts(viewport=SIZES[size]).new_page()
    if who is not None:
        log_in(page, server, who)
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    return page


PAGES = {
    # name: (who, path); who is a key of world["people"], "newcomer", or None (logged out)
    "login": (None, "/login"),
    "signup": (None, "/signup"),
    "forgot": (None, "/forgot"),
    "dashboard-empty": ("newcomer", "/jobs"),
    "dashboard": ("freelancer", "/jobs"),
    "agreement": ("client", "/jobs/{job}/agreement"),
    "agreement-freelancer": ("freelancer", "/jobs/{job}/agreement"),
    "agreement-form": ("freelancer", "/jobs/{job}/agreement/propose"),
    "diary": ("client", "/jobs/{job}/diary/"),
    "people": ("freelancer", "/jobs/{job}/invites"),
    "room-completed": ("client", "/jobs/{done}/"),
    "notifications": ("client", "/notifications"),
    "notification-settings": ("client", "/settings/notifications"),
    "account": ("client", "/account"),
    "invite": (None, "/invite/{invite}"),
    "profile": (None, "{profile}"),
    "not-found": (None, "/jobs/nope/"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_axe_violation(shared_server, contexts, world, name, size):
    role, path = PAGES[name]
    who = None if role is None else world["newcomer"] if role == "newcomer" else world["people"][role]
    path = path.format(job=world["job"]["id"], done=world["done"]["id"], invite=world["invite"],
                       profile=world["profile"])
    page = open_page(shared_server, contexts, size, who, path)
    if name == "agreement":
        page.locator("#pending table.diff").wait_for()
    if name == "dashboard":
        page.locator("main a[href*='/jobs/']").first.wait_for()
    if name.startswith("room-"):
        page.wait_for_function("() => document.body.dataset.connection === 'live'")
    assert_accessible(page, name, size)
    assert_keyboard_complete(page, name, size)
    if name == "notifications":
        # The bell's panel, open over the page.
        page.locator("#bell-button").click()
        page.locator("#bell-panel .bell-item").first.wait_for()
        assert_accessible(page, "bell", size)


def open_busy_room(server: Any, contexts: Any, size: str, who: dict[str, Any], job_id: str) -> Any:
    page = contexts(viewport=SIZES[size]).new_page()
    log_in(page, server, who)
    open_room(page, server, job_id)
    page.locator("#timeline .event-message").first.wait_for(state="attached")
    page.locator("#milestones-panel .ms").first.wait_for(state="attached")
    page.locator("#balance-panel .figure").first.wait_for(state="attached")
    return page


TABS = {"chat": "Chat", "work": "Milestones & money", "live": "Live", "info": "Info"}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ["freelancer", "client"])
def test_room_has_no_serious_axe_violation(shared_server, contexts, world, role, size):
    page = open_busy_room(shared_server, contexts, size, world["people"][role], world["job"]["id"])
    assert_accessible(page, f"room-{role}", size)
    assert_keyboard_complete(page, f"room-{role}", size)
    if size == "phone":
        # Each panel of the phone's tabs, as it shows.
        for panel, label in TABS.items():
            page.get_by_role("tab", name=label).click()
            page.locator(f"#panel-{panel}").wait_for()
            assert_accessible(page, f"room-{role}-{panel}", size)
            assert_keyboard_complete(page, f"room-{role}-{panel}", size)


# ---------------------------------------------------------------- the keyboard

START = """() => {
  // Tab starts from the top of the document: focus the body (made focusable for a moment).
  window.__kb = {seen: new Set(), order: []};
  document.body.tabIndex = -1;
  document.body.focus({preventScroll: true});
  document.body.removeAttribute('tabindex');
  window.scrollTo(0, 0);
}"""
STEP = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return {done: true, why: 'left the page'};
  if (e === window.__kb.last) return {done: false, again: true};  // Tab moves inside a date field's parts
  if (window.__kb.seen.has(e)) return {done: true, why: 'came round'};
  window.__kb.seen.add(e);
  window.__kb.last = e;
  // Where the focus shows: the element itself, or for a visually hidden input its label (the button look).
  const tiny = (r) => r.width < 4 || r.height < 4;
  const label = tiny(e.getBoundingClientRect()) ? e.closest('label') : null;
  const shown = label || e;
  const s = getComputedStyle(shown);
  const clear = (c) => /rgba\\(.*, 0\\)$/.test(c) || c === 'transparent';
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !clear(s.outlineColor);
  const ring = s.boxShadow !== 'none';
  const r = shown.getBoundingClientRect();
  const onScreen = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && !tiny(r);
  return {
    done: false, id: e.id, tag: e.tagName, role: e.getAttribute('role'), type: e.getAttribute('type'),
    text: (e.textContent || e.getAttribute('aria-label') || e.getAttribute('name') || '').trim().slice(0, 60),
    inComposer: Boolean(e.closest('#composer')), inMilestone: Boolean(e.closest('#milestones-panel .ms-actions')),
    focusShown: Boolean((outline || ring) && onScreen),
    style: {outline: s.outline, shadow: s.boxShadow, onScreen, on: label ? 'label' : 'itself'},
    html: e.outerHTML.slice(0, 140),
  };
}"""
UNREACHED = """() => {
  // Everything a person could operate on the page as it shows that Tab never reached.
  const seenRadio = new Set([...window.__kb.seen].filter((e) => e.type === 'radio').map((e) => e.name));
  const candidates = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], [contenteditable=true]');
  return [...candidates].filter((e) => {
    if (window.__kb.seen.has(e) || e.disabled || e.tabIndex < 0 || e.closest('[inert]')) return false;
    if (e.type === 'radio' && seenRadio.has(e.name)) return false;  // a radio group is one tab stop
    const label = e.matches('label input') ? e.closest('label') : null;  // an input may hide inside its label
    const shown = label && label.checkVisibility({visibilityProperty: true}) ? label : e;
    if (!shown.checkVisibility({visibilityProperty: true})) return false;
    const r = shown.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }).map((e) => e.outerHTML.slice(0, 140));
}"""


def tab_through(page: Any, limit: int = 300) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves the page or comes back round: what got
    focus, in order, each with whether a focus indicator shows (an outline or a ring, on screen)."""
    page.evaluate(START)
    walk: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        step = page.evaluate(STEP)
        if step["done"]:
            return walk
        if not step.get("again"):
            walk.append(step)
    raise AssertionError(f"Tab never came round after {limit} presses: {walk[-5:]}")


def assert_keyboard_complete(page: Any, name: str, size: str) -> list[dict[str, Any]]:
    """Every control on the page is reached by Tab, and shows where the focus is."""
    walk = tab_through(page)
    unreached = page.evaluate(UNREACHED)
    assert not unreached, f"{name} at {size}: Tab never reaches:\n" + "\n".join(unreached)
    hidden = [f"{f['html']}  {f['style']}" for f in walk if not f["focusShown"]]
    assert not hidden, f"{name} at {size}: no visible focus on:\n" + "\n".join(hidden)
    return walk


@pytest.mark.parametrize("size", SIZES)
def test_the_room_works_from_the_keyboard_with_a_visible_focus(shared_server, contexts, world, size):
    page = open_busy_room(shared_server, contexts, size, world["people"]["client"], world["job"]["id"])
    walk = assert_keyboard_complete(page, "room", size)
    assert any(f["tag"] == "TEXTAREA" and f["id"] == "message-body" for f in walk), walk
    assert any(f["inComposer"] and f["tag"] == "BUTTON" and f["text"] == "Send" for f in walk), walk
    if size == "phone":
        # The phone tabs are one tab stop (roving tabindex: the selected tab); arrows move between them.
        assert [f["id"] for f in walk if f["role"] == "tab"] == ["tab-chat"], walk
        page.locator("#tab-chat").focus()
        page.keyboard.press("ArrowRight")
        assert page.evaluate("() => document.activeElement.id") == "tab-work"
        assert page.locator("#tab-work").get_attribute("aria-selected") == "true"
        walk = assert_keyboard_complete(page, "room (Milestones & money)", size)
        assert [f["id"] for f in walk if f["role"] == "tab"] == ["tab-work"], walk
    actions = page.locator("#milestones-panel .ms-actions button").all_text_contents()
    assert "Approve" in actions and "Request changes" in actions, actions
    reached = [f["text"] for f in walk if f["inMilestone"]]
    assert reached == actions, (reached, actions)
    # Operable: Enter on a milestone action opens its step.
    page.locator("#milestones-panel .ms-actions button", has_text="Approve").focus()
    page.keyboard.press("Enter")
    page.locator("#milestones-panel .confirm-step").wait_for()
    assert_accessible(page, "room-approve-step", size)
    assert_keyboard_complete(page, "room (approve step)", size)
    # "Skip to writing a message" (shown once focused) goes straight to the message box, on a phone
    # from another tab too.
    page.locator("#skip-to-composer").focus()
    assert page.locator("#skip-to-composer").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'message-body'")
    assert page.locator("#message-body").is_visible()


@pytest.mark.parametrize("size", SIZES)
def test_opening_a_milestone_step_from_the_keyboard_keeps_the_focus_in_it(shared_server, contexts, world, size):
    """Enter on a milestone action opens its step with the focus on the step's first control (not
    lost to the page as the milestone list is drawn again); Back returns it to the action."""
    page = open_busy_room(shared_server, contexts, size, world["people"]["client"], world["job"]["id"])
    if size == "phone":
        page.get_by_role("tab", name=TABS["work"]).click()
    focused = "() => { const e = document.activeElement; return {inStep: Boolean(e.closest('.ms-form')), text: e.textContent.trim(), html: e.outerHTML.slice(0, 120)}; }"
    for action in ("Approve", "Request changes"):
        button = page.locator("#milestones-panel .ms-actions button", has_text=action)
        button.focus()
        page.keyboard.press("Enter")
        page.locator("#milestones-panel .ms-form:not(:empty)").wait_for()
        assert page.evaluate(focused)["inStep"], (action, page.evaluate(focused))
        # Pressing the action again closes its step; the focus stays on the action.
        button.focus()
        page.keyboard.press("Enter")
        page.locator("#milestones-panel .ms-form:not(:empty)").wait_for(state="detached")
        assert page.evaluate(focused)["text"] == action, (action, page.evaluate(focused))



def test_a_live_update_leaves_the_keyboard_focus_where_it_was(shared_server, contexts):
    """The other side acts while a client's keyboard focus is on a milestone's action, the call to
    action or the money card: the region is drawn again with the news, and the focus stays on the
    same control (not lost to the page)."""
    job, people = job_with_people(shared_server)
    fran, cleo = people["freelancer"], people["client"]
    proposed = shared_server.api("POST", f"/jobs/{job['id']}/agreements", fran, terms(), status=201).json()["agreement"]
    shared_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo, {"terms_hash": proposed["terms_hash"]},
                      status=200)
    milestones = shared_server.api("GET", f"/jobs/{job['id']}", fran, status=200).json()["job"]["milestones"]
    shared_server.api("POST", f"/milestones/{milestones[0]['id']}/submit", fran, {"note": "Two concepts"}, status=200)
    page = contexts(viewport=SIZES["laptop"]).new_page()
    log_in(page, shared_server, cleo)
    open_room(page, shared_server, job["id"])
    payments: list[Any] = []

    def refreshed(response: Any) -> bool:
        return response.url.endswith(f"/api/v1/jobs/{job['id']}") and response.request.method == "GET"

    def news() -> None:
        """A payment recorded by the client elsewhere, or the freelancer confirming the last one."""
        # The panel's redraw after the refetch: the balance card's children replaced (one synchronous render).
        page.evaluate("""() => { window.__redrawn = new Promise((done) => new MutationObserver((_, o) => { o.disconnect(); done(); })
            .observe(document.getElementById('balance-panel'), { childList: true })); }""")
        with page.expect_response(refreshed):
            if len(payments) % 2 == 0:
                payments.append(shared_server.api(
                    "POST", f"/jobs/{job['id']}/payments", cleo,
                    {"amount": 5000, "method": "bank_transfer", "reference": f"Part {len(payments)}"},
                    headers=key(), status=201).json()["payment"]["id"])
            else:
                shared_server.api("POST", f"/payments/{payments[-1]}/confirm", fran, {}, headers=key(), status=200)
                payments.append(None)
        page.evaluate("() => window.__redrawn")  # the redraw that follows the response

    where = "() => { const e = document.activeElement; return [e.closest('[id]')?.id, e.textContent.trim()]; }"
    for region, control in (("milestones-panel", page.locator("#milestones-panel .ms-actions button", has_text="Request changes")),
                            ("next-steps", page.locator("#next-steps button", has_text="Review the submission")),
                            ("balance-panel", page.get_by_role("link", name="Download statement (PDF)"))):
        control.focus()
        name = page.evaluate(where)[1]
        news()
        assert page.evaluate(where) == [region, name], region


@pytest.mark.parametrize("size", SIZES)
def test_disputed_room_has_no_serious_axe_violation(shared_server, contexts, size):
    """A room with an open dispute whose proposal waits for the client (the red banner, Accept, the
    propose form open), the frozen milestone, invoices and where to pay; then the Info tab's billing form."""
    server = shared_server
    job, people = job_with_people(server)
    fran, cleo = people["freelancer"], people["client"]
    server.api("PUT", "/me/billing", fran, {"name": "Fran Studio", "payment_methods": [
        {"kind": "iban", "value": "DE89 3704 0044 0532 0130 00", "label": "EUR account"}]}, status=200)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", fran, terms(), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", cleo, {"terms_hash": proposed["terms_hash"]},
               status=200)
    m1 = server.api("GET", f"/jobs/{job['id']}", fran, status=200).json()["job"]["milestones"][0]["id"]
    server.api("POST", f"/milestones/{m1}/submit", fran, {"note": "Two concepts"}, status=200)
    dispute = server.api("POST", f"/milestones/{m1}/disputes", cleo, {"reason": "Not vector files"}, headers=key(),
                         status=201).json()["dispute"]
    server.api("POST", f"/disputes/{dispute['id']}/proposals", fran, {"kind": "amount", "amount": 25000,
                                                                      "note": "Most of it is there"}, headers=key())
    server.api("POST", f"/jobs/{job['id']}/messages", fran, {"body": "Let us settle this."}, status=201)
    page = open_busy_room(server, contexts, size, cleo, job["id"])
    banner = page.locator(".dispute-banner.is-urgent")
    banner.get_by_role("button", name="Propose something else").click()
    banner.get_by_role("button", name="Send proposal").wait_for()
    if size == "phone":
        page.get_by_role("tab", name="Milestones & money").click()
    page.locator(".pay-form .pay-methods").wait_for()
    assert_accessible(page, "room-disputed", size)
    if size == "phone":
        page.get_by_role("tab", name="Info").click()
    page.locator("#job-billing form").wait_for()
    assert_accessible(page, "room-billing", size)
