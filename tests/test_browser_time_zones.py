"""One time zone: every time on every page shows in the viewer's zone. The server renders
`<time datetime="…Z" data-format="…">` with UTC text and static/js/time.js localizes each one; deadlines
and due dates (the end of the agreed day on the server's clock) name the zone. Here a client in New
York reads the dashboard, the room and the agreement (with its diff) in Chromium."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser_support import SIZES, log_in, open_room
from tests.sockets import job_in_force
from tests.support import terms
from workspace.domain.agreement import due_at

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")


def in_new_york(day: date) -> str:
    """How Chromium (en-US) shows the end of `day` (UTC) in New York: 'Dec 26, 2026, 18:59 EST'."""
    moment = due_at(day).astimezone(NEW_YORK)
    return f"{moment:%b} {moment.day}, {moment:%Y, %H:%M} {moment.tzname()}"


@pytest.mark.parametrize("size", SIZES)
def test_deadlines_and_due_dates_show_in_the_viewers_zone_with_its_name(shared_server, contexts, size):
    today = date.today()
    deadline, first_due = today + timedelta(days=30), today + timedelta(days=10)
    job, people = job_in_force(shared_server, terms(deadline=deadline.isoformat()))
    page = contexts(viewport=SIZES[size], timezone_id="America/New_York", locale="en-US").new_page()
    log_in(page, shared_server, people["client"])
    # The dashboard: the deadline and the next milestone's due date.
    card = page.locator(".job-card", has_text="Live job").first
    card.locator("time[data-format=deadline]", has_text=in_new_york(deadline)).wait_for()
    card.locator("time[data-format=deadline]", has_text=in_new_york(first_due)).wait_for()
    assert "UTC" not in card.text_content()
    # The room: the milestones panel, the terms in the Info panel, and the header's countdown's title.
    open_room(page, shared_server, job["id"])
    if size == "phone":
        page.get_by_role("tab", name="Milestones & money").click()
    ms = page.locator("#milestones-panel .ms").first
    ms.locator("time", has_text=in_new_york(first_due)).wait_for()
    if size == "phone":
        page.get_by_role("tab", name="Info").click()
    assert page.locator("#panel-info time[data-format=deadline]").first.text_content() == in_new_york(deadline)
    assert page.locator("#deadline").get_attribute("title") == f"Due {in_new_york(deadline)}"
    # The agreement page: the terms in force, and every moment of its history in the same zone.
    page.goto(f"{shared_server.url}/jobs/{job['id']}/agreement")
    assert in_new_york(deadline) in page.locator(".facts").first.text_content()
    stamps = page.locator("time[data-format=datetime]")
    assert stamps.count() > 0
    for text in stamps.all_text_contents():
        assert "UTC" not in text, text
    # The zone is kept for the server's day grouping (the work diary).
    assert {"name": "tz", "value": "America/New_York"}.items() <= next(
        c for c in page.context.cookies() if c["name"] == "tz").items()


def test_the_agreement_diff_shows_a_changed_deadline_as_a_date_in_the_viewers_zone(shared_server, contexts):
    today = date.today()
    old, new = today + timedelta(days=30), today + timedelta(days=45)
    first = terms()
    job, people = job_in_force(shared_server, first)
    second = terms(deadline=new.isoformat(), milestones=[
        {**first["milestones"][0], "due": (today + timedelta(days=12)).isoformat()}, first["milestones"][1]])
    shared_server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], second, status=201)
    page = contexts(viewport=SIZES["laptop"], timezone_id="America/New_York", locale="en-US").new_page()
    log_in(page, shared_server, people["client"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/agreement")
    row = page.locator("table.diff tr", has=page.locator("th", has_text="Deadline"))
    assert row.locator(".before time").text_content() == in_new_york(old)
    assert row.locator(".after time").text_content() == in_new_york(new)
    assert old.isoformat() not in row.text_content() and new.isoformat() not in row.text_content()
    moved = page.locator("table.diff tr[data-field='due date']")
    assert moved.locator(".before time").text_content() == in_new_york(today + timedelta(days=10))
    assert moved.locator(".after time").text_content() == in_new_york(today + timedelta(days=12))
