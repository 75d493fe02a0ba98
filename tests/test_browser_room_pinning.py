"""In Chromium at 1366x800 and 390x844: a message's "Seen by" line names who else has read it, never the
reader themself ("Seen by you" under the other person's message means nothing); and a reader at the bottom
of the chat stays there when a banner above the chat (the client's "waits for your review" bar, a dispute)
makes the chat shorter, so the newest event is in view (or "New messages ↓" says it is below)."""
from __future__ import annotations

import pytest

from tests.browser_support import SIZES, in_room, in_room_after, wait_until
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser

SEEN_BY = "() => document.getElementById('seen-by').textContent"


def active_job(server):
    return job_in_force(server, terms(upfront={"kind": "none"}))


def read_by(server, job, who, seq):
    """The server has `who`'s read cursor at `seq` or later."""
    members = server.api("GET", f"/jobs/{job['id']}", who, status=200).json()["job"]["members"]
    return next(m for m in members if m["id"] == who["id"])["last_read_seq"] >= seq


@pytest.mark.parametrize("size", SIZES)
def test_a_reader_is_never_told_they_have_seen_the_other_persons_message(shared_server, contexts, size):
    job, people = active_job(shared_server)
    fran, cleo = in_room(shared_server, contexts, size, job["id"], people["freelancer"], people["client"])
    members = shared_server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]["members"]
    client_name = next(m["name"] for m in members if m["id"] == people["client"]["id"])
    freelancer_name = next(m["name"] for m in members if m["id"] == people["freelancer"]["id"])

    # The freelancer writes; the client reads it (their page tells the server).
    seq = shared_server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "Concepts attached"},
                            status=201).json()["event"]["seq"]
    cleo.locator(".prose", has_text="Concepts attached").wait_for()
    fran.locator(".prose", has_text="Concepts attached").wait_for()
    # The writer learns the client has seen it ...
    fran.wait_for_function(f"() => ({SEEN_BY})().includes({client_name!r})")
    wait_until(lambda: read_by(shared_server, job, people["client"], seq), "the client's read cursor")
    cleo.wait_for_timeout(800)  # the client's own read ack and broadcast have long arrived
    # ... and the reader is not told they have seen it themselves.
    seen = cleo.evaluate(SEEN_BY)
    assert "you" not in seen.lower().split() and client_name not in seen, seen

    # The other way round: the client's message, read by the freelancer.
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "Looks good"}, status=201)
    fran.locator(".prose", has_text="Looks good").wait_for()
    cleo.wait_for_function(f"() => ({SEEN_BY})().includes({freelancer_name!r})")
    fran.wait_for_timeout(800)
    seen = fran.evaluate(SEEN_BY)
    assert "you" not in seen.lower().split() and freelancer_name not in seen, seen


NEWEST_IN_VIEW_OR_PILL = """() => {
  const s = document.getElementById('timeline-scroll');
  const items = s.querySelectorAll('#timeline > li[data-seq]');
  const last = items[items.length - 1];
  const box = s.getBoundingClientRect(), r = last.getBoundingClientRect();
  const inView = r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  return {inView, pill: !document.getElementById('new-below').hidden, last: last.textContent.trim().slice(0, 80),
          lastBottom: r.bottom, viewBottom: box.bottom};
}"""


@pytest.mark.parametrize("size", SIZES)
def test_a_banner_above_the_chat_does_not_push_the_newest_event_out_of_sight(shared_server, contexts, size):
    job, people = active_job(shared_server)
    cleo = in_room_after(shared_server, contexts, size, job["id"], people["freelancer"], people["client"], "Earlier line", 30)
    assert cleo.locator("#next-steps").is_hidden()  # no banner yet: nothing waits for the client
    assert cleo.evaluate(NEWEST_IN_VIEW_OR_PILL)["inView"]
    scroller_height = cleo.evaluate("() => document.getElementById('timeline-scroll').clientHeight")

    # The freelancer submits a milestone: the client's chat gets the event and a review bar above the chat.
    milestone = shared_server.api("GET", f"/jobs/{job['id']}", people["freelancer"], status=200).json()["job"]["milestones"][0]
    shared_server.api("POST", f"/milestones/{milestone['id']}/submit", people["freelancer"], {"note": "Two concepts"}, status=200)
    cleo.locator("#next-steps", has_text="review").wait_for()
    cleo.wait_for_function(f"() => document.getElementById('timeline-scroll').clientHeight < {scroller_height}")
    cleo.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    state = cleo.evaluate(NEWEST_IN_VIEW_OR_PILL)
    assert state["inView"] or state["pill"], state

    # A message arrives under the bar: still at the bottom, nothing hidden.
    shared_server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "Ready when you are"}, status=201)
    cleo.locator(".prose", has_text="Ready when you are").wait_for()
    cleo.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    state = cleo.evaluate(NEWEST_IN_VIEW_OR_PILL)
    assert state["inView"] or state["pill"], state
