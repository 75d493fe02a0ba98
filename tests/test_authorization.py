"""Authorization as data: every role x every route, asserting exactly who may do what."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.support import terms

ROLES = ("anonymous", "outsider", "viewer", "client", "freelancer")


def _setup(api: Any, people: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """A job with a pending version and a live invite; returns ids the routes need."""
    proposed = api.propose(people["freelancer"], job["id"])
    invite = api.invite(people["freelancer"], job["id"], "viewer")
    return {"job": job["id"], "version": proposed["version"], "hash": proposed["terms_hash"],
            "invite_id": invite["id"]}


# (name, method, path template, body factory, {role: expected status})
Route = tuple[str, str, str, Callable[[dict[str, Any]], Any], dict[str, int]]
MEMBERS_READ = {"anonymous": 401, "outsider": 404, "viewer": 200, "client": 200, "freelancer": 200}
ROUTES: list[Route] = [
    ("get job", "GET", "/jobs/{job}", lambda ids: None, MEMBERS_READ),
    ("list events", "GET", "/jobs/{job}/events", lambda ids: None, MEMBERS_READ),
    ("list agreements", "GET", "/jobs/{job}/agreements", lambda ids: None, MEMBERS_READ),
    ("get agreement", "GET", "/jobs/{job}/agreements/{version}", lambda ids: None, MEMBERS_READ),
    ("list invites", "GET", "/jobs/{job}/invites", lambda ids: None,
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 403, "freelancer": 200}),
    ("create invite", "POST", "/jobs/{job}/invites", lambda ids: {"role": "viewer"},
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 403, "freelancer": 201}),
    ("revoke invite", "POST", "/jobs/{job}/invites/{invite_id}/revoke", lambda ids: {},
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 403, "freelancer": 200}),
    ("propose", "POST", "/jobs/{job}/agreements", lambda ids: terms(auto_approve_days=3),
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 201, "freelancer": 201}),
    ("accept", "POST", "/jobs/{job}/agreements/{version}/accept", lambda ids: {"terms_hash": ids["hash"]},
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 200, "freelancer": 200}),
    ("my jobs", "GET", "/jobs", lambda ids: None,
     {"anonymous": 401, "outsider": 200, "viewer": 200, "client": 200, "freelancer": 200}),
    ("create job", "POST", "/jobs", lambda ids: {"title": "Mine"},
     {"anonymous": 401, "outsider": 201, "viewer": 201, "client": 201, "freelancer": 201}),
    ("me", "GET", "/me", lambda ids: None,
     {"anonymous": 401, "outsider": 200, "viewer": 200, "client": 200, "freelancer": 200}),
    ("tokens", "GET", "/tokens", lambda ids: None,
     {"anonymous": 401, "outsider": 200, "viewer": 200, "client": 200, "freelancer": 200}),
    ("list disputes", "GET", "/jobs/{job}/disputes", lambda ids: None, MEMBERS_READ),
    ("list invoices", "GET", "/jobs/{job}/invoices", lambda ids: None, MEMBERS_READ),
    ("job billing", "GET", "/jobs/{job}/billing", lambda ids: None, MEMBERS_READ),
    ("set job billing", "PUT", "/jobs/{job}/billing", lambda ids: {"name": "Acme"},
     {"anonymous": 401, "outsider": 404, "viewer": 403, "client": 200, "freelancer": 200}),
    ("my billing", "PUT", "/me/billing", lambda ids: {"name": "Me Ltd"},
     {"anonymous": 401, "outsider": 200, "viewer": 200, "client": 200, "freelancer": 200}),
    ("dossier", "GET", "/jobs/{job}/dossier.zip", lambda ids: None, MEMBERS_READ),
]


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_authorization_matrix(api, people, job, route):
    name, method, template, body, expected = route
    mismatches = []
    for role in ROLES:
        ids = _setup(api, people, api.job_with_members(people))
        who = None if role == "anonymous" else people[role]
        response = api.call(method, template.format(**ids), who, body(ids))
        if response.status_code != expected[role]:
            mismatches.append((role, response.status_code, expected[role]))
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"], name
    assert mismatches == []


def test_outsiders_see_no_events_and_no_job_existence(api, people, job):
    response = api.call("GET", f"/jobs/{job['id']}/events", people["outsider"])
    assert response.status_code == 404 and "events" not in response.get_json()
    missing = api.call("GET", "/jobs/AAAAAAAAAAAAAAAA", people["outsider"]).get_json()
    assert response.get_json() == missing  # the same answer whether the job exists or not


PAGES = [
    ("room", "/jobs/{job}/", {"outsider": 404, "viewer": 200, "client": 200, "freelancer": 200}),
    ("agreement", "/jobs/{job}/agreement", {"outsider": 404, "viewer": 200, "client": 200, "freelancer": 200}),
    ("terms form", "/jobs/{job}/agreement/propose", {"outsider": 404, "viewer": 403, "client": 200, "freelancer": 200}),
    ("people", "/jobs/{job}/invites", {"outsider": 404, "viewer": 403, "client": 403, "freelancer": 200}),
]


@pytest.mark.parametrize("page", PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(app, api, people, job, page):
    import re

    name, template, expected = page
    anonymous = app.test_client().get(template.format(job=job["id"]))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for role, status in expected.items():
        browser = app.test_client()
        token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/login").get_data(as_text=True)).group(1)
        n = people[role]["email"]
        assert browser.post("/login", data={"csrf_token": token, "email": n,
                                            "password": "correct horse battery"}).status_code == 302
        assert browser.get(template.format(job=job["id"])).status_code == status, (name, role)
