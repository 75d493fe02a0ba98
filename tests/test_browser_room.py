"""In Chromium, two people in one room: live messages and progress, lossless catch-up, no XSS."""
from __future__ import annotations

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser


@pytest.fixture
def two_in_a_room(live_server, contexts):
    job, people = job_with_people(live_server)
    proposed = live_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], terms(), status=201)
    live_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
                    {"terms_hash": proposed.json()["agreement"]["terms_hash"]}, status=200)
    fran, cleo = contexts().new_page(), contexts().new_page()
    log_in(fran, live_server, people["freelancer"])
    log_in(cleo, live_server, people["client"])
    open_room(fran, live_server, job["id"])
    open_room(cleo, live_server, job["id"])
    return live_server, job, people, fran, cleo


def send(page, text):
    page.fill("#message-body", text)
    page.press("#message-body", "Enter")


def bodies(page):
    return page.eval_on_selector_all(".event-message:not(.pending) .bubble .prose", "els => els.map(e => e.textContent.trim())")


def test_client_sees_messages_and_progress_live(two_in_a_room):
    server, job, people, fran, cleo = two_in_a_room
    cleo.locator("#timeline").get_by_text("Version 1 of the agreement is now in force.").wait_for()
    send(fran, "Starting on the **layout** today")
    cleo.locator(".event-message .prose strong", has_text="layout").wait_for()
    assert "Starting on the layout today" in bodies(cleo)
    # An emptied or out-of-range percent is refused in the page: nothing is posted (not "0 %").
    for typed in ("", "150", "-5", "12.5"):
        fran.fill("#progress-form input[type=number]", typed)
        fran.click("#progress-form button[type=submit]")
        fran.locator("#progress-error", has_text="Give a whole percent from 0 to 100.").wait_for()
        assert fran.get_attribute("#progress-form input[type=number]", "aria-invalid") == "true"
    fran.fill("#progress-form input[type=number]", "40")
    fran.fill("#progress-form textarea[name=note]", "Layout done")
    fran.click("#progress-form button[type=submit]")
    cleo.locator(".progress-event", has_text="reported 40%").wait_for()
    assert fran.locator("#progress-error").is_hidden()
    assert cleo.locator(".progress-event").count() == 1
    assert cleo.text_content("#percent") == "40%"
    assert "Next update due in" in cleo.text_content("#next-update")
    # Presence: each sees the other here.
    cleo.wait_for_function("() => document.getElementById('here-count').textContent === '2'")
    # The client replies; the freelancer sees it and who has seen it.
    send(cleo, "Looks great")
    fran.locator(".event-message .prose", has_text="Looks great").wait_for()
    cleo.wait_for_function("() => document.getElementById('seen-by').textContent.includes('Freelancer')")
    assert "you" not in fran.text_content("#seen-by").lower().split()  # who else saw it, never the reader


def test_after_the_socket_is_cut_coming_back_shows_everything_in_order(two_in_a_room):
    server, job, people, fran, cleo = two_in_a_room
    send(fran, "before the tunnel")
    cleo.locator(".prose", has_text="before the tunnel").wait_for()
    cleo.context.set_offline(True)
    cleo.evaluate("window.__room.socket.io.engine.close()")  # the train enters the tunnel
    cleo.locator("#conn-status", has_text="Reconnecting").wait_for()
    sent = [f"in the tunnel {n}" for n in range(6)]
    for text in sent:
        send(fran, text)
        fran.locator(".event-message:not(.pending) .prose", has_text=text).wait_for()
    cleo.context.set_offline(False)
    cleo.locator(".prose", has_text=sent[-1]).wait_for(timeout=20_000)
    cleo.wait_for_function("() => document.body.dataset.connection === 'live'")
    seen = bodies(cleo)
    assert seen[seen.index("before the tunnel"):] == ["before the tunnel", *sent]
    seqs = cleo.eval_on_selector_all("#timeline [data-seq]", "els => els.map(e => Number(e.dataset.seq))")
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert cleo.is_hidden("#conn-status")


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "<svg onload=alert(4)>",
    '"><script>alert(5)</script>',
    "<a href=\"javascript:alert(6)\">x</a>",
    "![x](javascript:alert(7))",
    "<iframe src=javascript:alert(8)></iframe>",
    "`<script>alert(9)</script>`",
    "<details open ontoggle=alert(10)>",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=)",
    "<style>body{display:none}</style>",
]


def test_xss_corpus_fires_nothing(two_in_a_room):
    server, job, people, fran, cleo = two_in_a_room
    dialogs = []
    for page in (fran, cleo):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    scripts_before = cleo.evaluate("document.scripts.length")
    for payload in XSS:
        server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": payload}, status=201)
    cleo.locator(".event-message .prose", has_text="body{display:none}").wait_for()
    fran.reload()
    fran.wait_for_function("() => document.body.dataset.connection === 'live'")
    fran.locator(".event-message .prose", has_text="body{display:none}").wait_for()
    # Every payload is on both pages and every image settled (loaded or failed): whatever could fire has.
    for page in (fran, cleo):
        page.wait_for_function("""(n) => document.querySelectorAll('#timeline .event-message:not(.pending)').length >= n
            && [...document.images].every((img) => img.complete)""", arg=len(XSS))
    assert dialogs == []
    assert cleo.evaluate("document.scripts.length") == scripts_before
    for page in (fran, cleo):
        assert page.locator("#timeline script, #timeline iframe, #timeline svg, #timeline img[onerror], #timeline style").count() == 0
        assert page.locator("#timeline a[href^='javascript'], #timeline a[href^='data']").count() == 0
        assert page.is_visible("body")


def test_edit_reply_and_delete_in_the_page(two_in_a_room):
    server, job, people, fran, cleo = two_in_a_room
    send(cleo, "first thought")
    fran.locator(".prose", has_text="first thought").wait_for()
    cleo.locator(".event-message.mine", has_text="first thought").get_by_role("button", name="Edit").click()
    cleo.fill(".edit-area", "second thought")
    cleo.get_by_role("button", name="Save", exact=True).click()
    fran.locator(".prose", has_text="second thought").wait_for()
    assert fran.locator(".event-message", has_text="second thought").get_by_text("edited").is_visible()
    fran.locator(".event-message", has_text="second thought").get_by_role("button", name="Reply").click()
    send(fran, "agreed")
    cleo.locator(".reply-quote", has_text="second thought").wait_for()
    # Editing the original again shows in the open room's quote of it, as a fresh load would.
    cleo.locator(".event-message.mine .prose", has_text="second thought").wait_for()
    cleo.locator(".event-message.mine").filter(has=cleo.locator(".prose", has_text="second thought")) \
        .get_by_role("button", name="Edit").click()
    cleo.fill(".edit-area", "never saved")
    cleo.press(".edit-area", "Escape")  # cancels, as in the composer
    cleo.locator(".edit-area").wait_for(state="detached")
    cleo.locator(".event-message.mine").filter(has=cleo.locator(".prose", has_text="second thought")) \
        .get_by_role("button", name="Edit").click()
    cleo.fill(".edit-area", "third thought")
    cleo.press(".edit-area", "Enter")  # saves
    fran.locator(".reply-quote", has_text="third thought").wait_for()
    assert fran.locator(".prose", has_text="never saved").count() == 0
    cleo.on("dialog", lambda d: d.accept())
    cleo.locator(".event-message.mine").filter(has=cleo.locator(".prose", has_text="third thought")) \
        .get_by_role("button", name="Delete").click()
    fran.locator(".deleted", has_text="Message deleted").wait_for()
    fran.locator(".reply-quote", has_text="(deleted)").wait_for()


def test_room_fits_a_phone(live_server, contexts):
    job, people = job_with_people(live_server)
    page = contexts(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    log_in(page, live_server, people["client"])
    open_room(page, live_server, job["id"])
    send(page, "from my phone " + "with a long word " * 10)
    page.locator(".prose", has_text="from my phone").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_since_you_were_away_banner(two_in_a_room):
    server, job, people, fran, cleo = two_in_a_room
    send(fran, "seen while here")
    cleo.locator(".prose", has_text="seen while here").wait_for()
    # The client's read reaches the freelancer; the client's own page never says "Seen by you".
    fran.wait_for_function("() => document.getElementById('seen-by').textContent.includes('Client')")
    assert "you" not in cleo.text_content("#seen-by").lower().split()
    cleo.close()  # the client goes away for a while
    for n in range(3):
        server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"away {n}"}, status=201)
    server.api("POST", f"/jobs/{job['id']}/progress", people["freelancer"], {"percent": 70}, status=201)
    back = fran.context.browser.new_context().new_page()
    from tests.browser_support import log_in

    log_in(back, server, people["client"])
    open_room(back, server, job["id"])
    banner = back.locator("#away")
    banner.wait_for()
    assert "Since you were away: 3 messages · 1 progress update" in banner.text_content()
    assert back.locator("#unread-divider").is_visible()
    back.context.close()
