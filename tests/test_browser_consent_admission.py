"""In Chromium: a client joining terms in force waits for the existing client's admission; the client
sees who waits for them on the agreement page, admits with one button, and every open room says so."""
from __future__ import annotations

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.browser


def test_the_client_admits_a_newcomer_who_accepted_the_terms(live_server, contexts):
    job, people = job_with_people(live_server)
    f, c = people["freelancer"], people["client"]
    proposed = live_server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]
    live_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": proposed["terms_hash"]},
                    status=200)
    puppet = live_server.signup("puppet")
    invite = live_server.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "client"}, status=201).json()["invite"]
    live_server.api("POST", f"/invites/{invite['token']}/accept", puppet, status=200)
    live_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", puppet, {}, status=200)

    fran = contexts().new_page()
    log_in(fran, live_server, f)
    open_room(fran, live_server, job["id"])
    fran.locator("#timeline").get_by_text("they become a client once every client admits them").wait_for()

    pat = contexts().new_page()
    log_in(pat, live_server, puppet)
    pat.goto(f"{live_server.url}/jobs/{job['id']}/agreement")
    assert "You become a client once Client admits you." in pat.locator("#waiting-admission").inner_text()
    assert pat.get_by_role("button", name="Admit as client").count() == 0
    pats_room = contexts().new_page()  # the newcomer's room, open while they are admitted
    log_in(pats_room, live_server, puppet)
    open_room(pats_room, live_server, job["id"])

    cleo = contexts().new_page()
    log_in(cleo, live_server, c)
    cleo.goto(f"{live_server.url}/jobs/{job['id']}/agreement")
    waiting = cleo.locator(f'#in-force .consent li[data-user="{puppet["id"]}"]')
    assert "waiting for Client's admission" in waiting.inner_text()
    waiting.get_by_role("button", name="Admit as client").click()
    cleo.get_by_text("You admitted Puppet; they are now a client of this job.").wait_for()
    assert cleo.locator(f'#in-force .consent li[data-user="{puppet["id"]}"]').count() == 0

    # The freelancer's open room hears it live; the newcomer's is told what changed for them.
    fran.locator("#timeline").get_by_text("as a client: they are now a client.").wait_for()
    note = pats_room.locator("#terms-changed")
    note.get_by_text("You are now a client of this job").wait_for()
    assert "terms changed" not in note.inner_text()
    note.get_by_role("link", name="reload the page").click()
    pats_room.locator("#composer").wait_for()
    state = live_server.api("GET", f"/jobs/{job['id']}", puppet, status=200).json()["job"]
    assert state["role"] == "client"
