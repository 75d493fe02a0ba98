"""In Chromium: the room and the agreement page say who has and has not accepted the terms, live."""
from __future__ import annotations

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser


def test_the_pages_list_who_accepted_and_who_has_not(live_server, contexts):
    job, people = job_with_people(live_server)
    f, c = people["freelancer"], people["client"]
    partner = live_server.signup("partner")
    invite = live_server.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "client"}, status=201).json()["invite"]
    live_server.api("POST", f"/invites/{invite['token']}/accept", partner, status=200)
    proposed = live_server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]

    fran = contexts().new_page()
    log_in(fran, live_server, f)
    open_room(fran, live_server, job["id"])
    # An acceptance that is not the last ticks that person off in the open room, live.
    live_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": proposed["terms_hash"]},
                    status=200)
    fran.wait_for_selector(f'.consent li.accepted[data-user="{c["id"]}"]')
    waiting = fran.locator(f'.consent li[data-user="{partner["id"]}"]')
    assert waiting.get_attribute("class") == "awaiting" and "has not accepted yet" in waiting.inner_text()

    pat = contexts().new_page()
    log_in(pat, live_server, partner)
    pat.goto(f"{live_server.url}/jobs/{job['id']}/agreement")
    listed = pat.locator("#pending .consent").inner_text()
    assert "Freelancer (freelancer)" in listed and "Client (client)" in listed
    assert "Partner (client) has not accepted yet" in listed
    pat.click("text=Accept version 1")
    pat.wait_for_selector("#in-force")
    assert "In force: version 1" in pat.locator("#in-force h2").inner_text()

    # The last acceptance puts the terms in force: the freelancer's open room drops the waiting card and
    # shows the agreed deadline, without a reload.
    fran.locator("#terms-waiting").wait_for(state="detached")
    fran.wait_for_function("() => document.getElementById('deadline').textContent.startsWith('Deadline in')")
