"""The People page's times name their zone: an invitation's link is passed on to someone else, so "expires
Dec 26, 14:05" alone does not say when. The server renders each moment as <time data-format="zoned"> with
UTC text (what a page without scripts shows); time.js rewrites it in the viewer's zone, the zone named."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser_support import SIZES
from tests.browser_support import log_in as browser_log_in
from tests.conftest import ARTIFACTS
from tests.sockets import job_with_people
from tests.support import log_in


def zoned(iso: str) -> str:
    """The server's fallback text for a moment: UTC, named."""
    moment = datetime.fromisoformat(iso)  # to the second on the page
    return f'<time datetime="{moment:%Y-%m-%dT%H:%M:%S}Z" data-format="zoned">{moment:%d %b %Y, %H:%M} UTC</time>'


def test_the_people_page_renders_every_time_with_its_zone(client, api, people, job):
    log_in(client, people["freelancer"])
    page = client.get(f"/jobs/{job['id']}/invites").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post(f"/jobs/{job['id']}/invites", data={"role": "mediator", "csrf_token": token}).status_code == 303
    page = client.get(f"/jobs/{job['id']}/invites").get_data(as_text=True)
    mediator = next(i for i in api.ok("GET", f"/jobs/{job['id']}/invites", people["freelancer"])["invites"]
                    if i["role"] == "mediator")
    notice = re.search(r'id="invite-created">(.*?)</div>', page, re.DOTALL).group(1)
    assert f"expires {zoned(mediator['expires_at'])}." in notice
    row = re.search(r'<li><span class="role role-mediator">.*?</li>', page, re.DOTALL).group(0)
    assert f"made {zoned(mediator['created_at'])} · expires {zoned(mediator['expires_at'])}" in row
    stamps = re.findall(r'<time datetime="[^"]+" data-format="([^"]+)">', page)
    assert stamps and set(stamps) == {"zoned"}  # the members' "joined" too: no time on this page without its zone


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_a_new_yorker_reads_invitation_times_in_their_zone_with_its_name(shared_server, contexts, size):
    job, people = job_with_people(shared_server)
    page = contexts(viewport=SIZES[size], timezone_id="America/New_York", locale="en-US").new_page()
    browser_log_in(page, shared_server, people["freelancer"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/invites")
    page.check("input[name=role][value=mediator]")
    page.get_by_role("button", name="Create invitation link").click()
    page.locator("#invite-created").wait_for()
    mediator = next(i for i in shared_server.api("GET", f"/jobs/{job['id']}/invites", people["freelancer"],
                                                 status=200).json()["invites"] if i["role"] == "mediator")

    def in_new_york(iso: str) -> str:  # as Chromium (en-US) shows it: "Dec 26, 2026, 18:59 EST"
        moment = datetime.fromisoformat(iso).astimezone(ZoneInfo("America/New_York"))
        return f"{moment:%b} {moment.day}, {moment:%Y, %H:%M} {moment.tzname()}"

    expires = in_new_york(mediator["expires_at"])
    page.locator("#invite-created time", has_text=expires).wait_for()
    row = page.locator(".invite-list li", has=page.locator(".role-mediator"))
    assert row.locator("time").all_text_contents() == [in_new_york(mediator["created_at"]), expires]
    for text in page.locator("main time").all_text_contents():
        assert re.search(r" E[SD]T$", text), text  # every time on the page names the zone it is in
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")  # Revoke stays in the card
    page.screenshot(path=str(ARTIFACTS / f"invite-times-{size}.png"), full_page=True)
