"""In Chromium: the freelancer shares their screen; watchers arriving before and after see it move."""
from __future__ import annotations

import pytest

from tests.browser_support import log_in, open_room, wait_until
from tests.sockets import job_with_people

pytestmark = pytest.mark.browser

VIDEO_PLAYS = """async () => {
  const v = document.getElementById('live-video');
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline && !(v.videoWidth > 0 && v.currentTime > 0)) await new Promise(r => setTimeout(r, 100));
  const t0 = v.currentTime;
  await new Promise(r => setTimeout(r, 1200));
  return {width: v.videoWidth, t0, t1: v.currentTime};
}"""


def assert_plays(page):
    result = page.evaluate(VIDEO_PLAYS)
    assert result["width"] > 0, result
    assert result["t1"] > result["t0"], result


def test_go_live_watch_and_stop(live_server, contexts):
    job, people = job_with_people(live_server)
    live_server.api("PUT", f"/jobs/{job['id']}/diary/settings", people["freelancer"], {"snapshot_seconds": 5}, status=200)
    fran = contexts().new_page()
    early = contexts().new_page()
    log_in(fran, live_server, people["freelancer"])
    log_in(early, live_server, people["client"])
    open_room(fran, live_server, job["id"])
    open_room(early, live_server, job["id"])

    fran.fill("#golive-form input[name=title]", "Working on concept B")
    fran.dblclick("#golive-form button[type=submit]")  # one session, and no "already live" error
    fran.locator("#live-status", has_text="You are live").wait_for()
    fran.wait_for_timeout(500)
    assert fran.locator("#live-error").is_hidden(), fran.text_content("#live-error")
    early.locator("#live-badge").wait_for()
    assert_plays(early)
    assert early.text_content("#live-status").startswith("Live")

    late = contexts().new_page()
    log_in(late, live_server, people["viewer"])
    open_room(late, live_server, job["id"])
    assert_plays(late)
    fran.wait_for_function("() => document.getElementById('live-watchers').textContent === 'Watching now: Client, Viewer'")
    dashboard = contexts().new_page()
    log_in(dashboard, live_server, people["client"])
    assert dashboard.locator(".job-card .live-badge").is_visible()

    fran.click("#live-pause")
    early.locator("#stage-overlay", has_text="paused sharing").wait_for()
    fran.click("#live-pause")
    early.wait_for_function("() => document.getElementById('stage-overlay').hidden")

    # The first snapshot is taken 3 s after going live: wait for it to be recorded, not for a clock.
    wait_until(lambda: any(e["type"] == "snapshot.taken" for e in live_server.api(
        "GET", f"/jobs/{job['id']}/events", people["client"], status=200).json()["events"]), "the first snapshot")
    fran.click("#live-stop")
    for page in (early, late):
        page.locator("#stage-overlay", has_text="Session ended").wait_for()
        page.wait_for_function("() => document.getElementById('live-badge').hidden")
        assert page.locator("#fullscreen").is_hidden()  # nothing to enlarge
    fran.locator("#live-status", has_text="Not live").wait_for()

    events = live_server.api("GET", f"/jobs/{job['id']}/events", people["client"], status=200).json()["events"]
    ended = [e for e in events if e["type"] == "session.ended"]
    assert len(ended) == 1 and ended[0]["data"]["reason"] == "stopped" and ended[0]["data"]["duration_seconds"] >= 3

    early.goto(f"{live_server.url}/jobs/{job['id']}/diary/")
    early.locator(".diary-session", has_text="Working on concept B").wait_for()
    # The page says in whose days it counts (the browser's zone, kept by time.js in the tz cookie).
    early.get_by_text("Days and weeks in UTC.").wait_for()
    from tests.browser_support import SIZES
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    for size, viewport in SIZES.items():
        early.set_viewport_size(viewport)
        early.screenshot(path=str(ARTIFACTS / f"diary-with-session-{size}.png"), full_page=True)
    assert early.locator(".strip img").count() >= 1
    src = early.locator(".strip img").first.get_attribute("src")
    assert early.request.get(live_server.url + src).status == 200
