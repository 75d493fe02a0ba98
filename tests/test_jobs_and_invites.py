"""Jobs, members and invitation links; the dashboard's view of my jobs."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.support import terms


def test_create_job_makes_me_the_freelancer(api, people):
    job = api.create_job(people["freelancer"], "  Website  ")
    assert job["title"] == "Website" and job["status"] == "draft" and job["role"] == "freelancer"
    assert [(m["name"], m["role"]) for m in job["members"]] == [("Freelancer", "freelancer")]
    assert len(job["id"]) >= 16 and not job["id"].isdigit()  # random, not a row number


def test_job_title_is_required(api, people):
    response = api.call("POST", "/jobs", people["freelancer"], {"title": " ", "description": 5})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"title", "description"}


def test_invite_is_role_bound_and_single_use(api, people):
    f, c, v = people["freelancer"], people["client"], people["viewer"]
    job = api.create_job(f)
    invite = api.invite(f, job["id"], "client")
    assert invite["url"].endswith(f"/invite/{invite['token']}") and invite["role"] == "client"
    joined = api.join(c, invite["token"])
    assert joined["role"] == "client"
    response = api.call("POST", f"/invites/{invite['token']}/accept", v)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invite_used"
    assert api.call("GET", f"/jobs/{job['id']}", v).status_code == 404


def test_opening_a_link_again_keeps_my_role(api, people):
    f, c = people["freelancer"], people["client"]
    job = api.create_job(f)
    api.join(c, api.invite(f, job["id"], "client")["token"])
    viewer_link = api.invite(f, job["id"], "viewer")["token"]
    assert api.join(c, viewer_link)["role"] == "client"
    assert api.join(people["viewer"], viewer_link)["role"] == "viewer"  # the link was not used up


def test_only_client_or_viewer_invites(api, people):
    job = api.create_job(people["freelancer"])
    response = api.call("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "freelancer"})
    assert response.status_code == 422 and response.get_json()["error"]["fields"]["role"]


def test_revoked_invite_no_longer_works(api, people):
    f = people["freelancer"]
    job = api.create_job(f)
    invite = api.invite(f, job["id"], "client")
    api.ok("POST", f"/jobs/{job['id']}/invites/{invite['id']}/revoke", f)
    response = api.call("POST", f"/invites/{invite['token']}/accept", people["client"])
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invite_revoked"
    assert [i["state"] for i in api.ok("GET", f"/jobs/{job['id']}/invites", f)["invites"]] == ["revoked"]


def test_expired_invite_no_longer_works(app, api, people):
    f = people["freelancer"]
    job = api.create_job(f)
    invite = api.invite(f, job["id"], "client")
    from workspace.db import transaction, utcnow
    from workspace.models import Invite

    with app.app_context(), transaction() as tx:
        tx.session.execute(update(Invite).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = api.call("POST", f"/invites/{invite['token']}/accept", people["client"])
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invite_expired"
    assert api.ok("GET", f"/invites/{invite['token']}")["invite"]["state"] == "expired"


def test_invites_expire_after_seven_days_by_default(api, people):
    from datetime import datetime, timezone

    invite = api.invite(people["freelancer"], api.create_job(people["freelancer"])["id"], "viewer")
    expires = datetime.fromisoformat(invite["expires_at"].replace("Z", "+00:00"))
    left = expires - datetime.now(timezone.utc)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)


def test_unknown_invite_is_404(api, people):
    assert api.call("POST", "/invites/nope/accept", people["client"]).status_code == 404
    assert api.call("GET", "/invites/nope").status_code == 404


def test_invite_preview_shows_job_inviter_and_role(api, people):
    job = api.create_job(people["freelancer"], "Acme logo")
    invite = api.invite(people["freelancer"], job["id"], "client")
    preview = api.ok("GET", f"/invites/{invite['token']}")["invite"]
    assert preview["job"]["title"] == "Acme logo" and preview["role"] == "client"
    assert preview["invited_by"]["name"] == "Freelancer" and preview["state"] == "valid"


def test_dashboard_lists_my_jobs_with_role_deadline_and_next_milestone(api, people, job):
    f, c, outsider = people["freelancer"], people["client"], people["outsider"]
    body = terms()
    api.propose(f, job["id"], body)
    api.accept(c, job["id"], 1)
    mine = api.ok("GET", "/jobs", c)["jobs"]
    assert len(mine) == 1
    row = mine[0]
    assert row["role"] == "client" and row["status"] == "active" and row["deadline"] == body["deadline"]
    assert row["next_milestone"]["title"] == "Concepts" and row["owed"] == 10000  # the upfront portion
    assert api.ok("GET", "/jobs", outsider)["jobs"] == []


def test_dashboard_page_has_an_empty_state_for_new_freelancers(client):
    import re

    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/signup").get_data(as_text=True)).group(1)
    client.post("/signup", data={"csrf_token": token, "email": "new@example.test",
                                 "password": "correct horse battery", "name": "New"})
    page = client.get("/jobs").get_data(as_text=True)
    assert "No jobs yet" in page and "Create your first job" in page
