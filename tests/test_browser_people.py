"""In Chromium: removing a member from the People page asks first (there is no undo); their open room
says they were removed, with the way back to their jobs."""
from __future__ import annotations

import pytest

from tests.browser_support import open_room, person, wait_until
from tests.sockets import job_with_people

pytestmark = pytest.mark.browser


def test_removing_a_member_asks_first(shared_server, contexts):
    job, people = job_with_people(shared_server)
    watching = person(shared_server, contexts, "laptop", people["viewer"])
    open_room(watching, shared_server, job["id"])
    page = person(shared_server, contexts, "laptop", people["freelancer"])
    page.goto(f"{shared_server.url}/jobs/{job['id']}/invites")
    row = page.locator("li", has_text="Viewer").filter(has=page.get_by_role("button", name="Remove"))
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    row.get_by_role("button", name="Remove").click()
    page.wait_for_timeout(300)
    assert asked and "Remove Viewer from this job?" in asked[0]
    members = lambda: {m["role"] for m in shared_server.api("GET", f"/jobs/{job['id']}", people["freelancer"],
                                                             status=200).json()["job"]["members"]}
    assert "viewer" in members()  # dismissed: nothing sent
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Remove").click()
    wait_until(lambda: "viewer" not in members(), "the viewer removed once the question is answered yes")
    # Their open room says so, with the way out.
    status = watching.locator("#conn-status")
    status.get_by_text("You were removed from this job.").wait_for()
    assert status.get_by_role("link", name="Back to my jobs").get_attribute("href") == "/"
