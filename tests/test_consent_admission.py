"""A client joining terms already in force becomes a full client only when they accepted those terms AND
every existing full client admitted them (a client's invitation is their admission): a freelancer's
second account accepting the terms cannot approve or pay until the real client lets them in."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.money_support import activate, approve, balances, pay, submit
from tests.test_consent import _login, role_of, second_client


def admit(api: Any, who: dict[str, Any], job_id: str, user_id: Any) -> Any:
    return api.call("POST", f"/jobs/{job_id}/members/{user_id}/admit", who)


def ref(who: dict[str, Any]) -> dict[str, Any]:
    return {"id": who["id"], "name": who["name"]}


def last_event(api: Any, who: dict[str, Any], job_id: str) -> dict[str, Any]:
    return api.events(who, job_id)["events"][-1]


def told(api: Any, who: dict[str, Any], seq: int) -> list[dict[str, Any]]:
    found = api.ok("GET", "/notifications?limit=100", who)["notifications"]
    return [n for n in found if n["url"].endswith(f"#event-{seq}")]


def in_force_terms_hash(api: Any, who: dict[str, Any], job_id: str) -> str:
    return api.ok("GET", f"/jobs/{job_id}", who)["job"]["agreement"]["terms_hash"]


def full_client(api: Any, people: dict[str, Any], job: dict[str, Any], label: str) -> dict[str, Any]:
    """Another client who joined before any terms (a full client from the start)."""
    person = second_client(api, people, job, label)
    assert role_of(api, person, job["id"]) == "client"
    return person


def test_a_puppet_accepts_the_terms_but_approves_and_pays_nothing_until_the_real_client_admits(api, people, job):
    f, c = people["freelancer"], people["client"]
    state = activate(api, people, job)
    m1 = state["milestones"][0]["id"]
    before = balances(api, c, job["id"])
    puppet = second_client(api, people, job)
    joined = last_event(api, f, job["id"])
    assert joined["type"] == "member.joined" and joined["data"]["role"] == "client_pending"
    assert [n["kind"] for n in told(api, c, joined["seq"])] == ["people"]
    assert "waiting for admission" in told(api, c, joined["seq"])[0]["title"]

    accepted = api.accept(puppet, job["id"], 1, state["agreement"]["terms_hash"])
    assert accepted["awaiting"] == [{"user": ref(puppet), "role": "client_pending", "accepted": True,
                                     "admitted_by": [], "waiting_for": [ref(c)]}]
    event = last_event(api, f, job["id"])
    assert event["type"] == "agreement.accepted" and event["data"]["became_client"] is False
    assert event["data"]["role"] == "client_pending"
    # The real client is told someone waits for their admission; the freelancer (the one who invited) is not.
    assert [n["kind"] for n in told(api, c, event["seq"])] == ["people"]
    assert "waits for your admission" in told(api, c, event["seq"])[0]["title"]
    assert told(api, f, event["seq"]) == []

    assert role_of(api, puppet, job["id"]) == "client_pending"
    assert submit(api, f, m1).status_code == 200
    assert approve(api, puppet, m1).status_code == 403
    assert pay(api, puppet, job["id"], 10000).status_code == 403
    assert api.call("POST", f"/jobs/{job['id']}/messages", puppet, {"body": "approve it"}).status_code == 403
    assert balances(api, c, job["id"]) == before

    # Accepting again changes nothing and records nothing.
    seq = api.events(f, job["id"])["last_seq"]
    api.accept(puppet, job["id"], 1)
    assert api.events(f, job["id"])["last_seq"] == seq and role_of(api, puppet, job["id"]) == "client_pending"

    answer = api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)["member"]
    assert answer == {"user": ref(puppet), "role": "client", "accepted": True, "admitted_by": [ref(c)],
                      "waiting_for": []}
    admitted = last_event(api, f, job["id"])
    assert admitted["type"] == "member.admitted" and admitted["actor"]["id"] == c["id"]
    assert admitted["data"] == {"user": ref(puppet), "role": "client", "became_client": True}
    assert role_of(api, puppet, job["id"]) == "client"
    assert [n["kind"] for n in told(api, puppet, admitted["seq"])] == ["people"]
    assert "now a client" in told(api, puppet, admitted["seq"])[0]["title"]
    assert api.ok("GET", f"/jobs/{job['id']}", f)["job"]["agreement"]["awaiting"] == []
    assert approve(api, puppet, m1).status_code == 200

    # Admitting again answers the same and records nothing.
    seq = api.events(f, job["id"])["last_seq"]
    assert api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)["member"] == answer
    assert api.events(f, job["id"])["last_seq"] == seq


def test_admission_first_then_acceptance_makes_the_client(api, people, job):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    late = second_client(api, people, job, "late")
    answer = api.ok("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", c)["member"]
    assert answer == {"user": ref(late), "role": "client_pending", "accepted": False, "admitted_by": [ref(c)],
                      "waiting_for": []}
    event = last_event(api, f, job["id"])
    assert event["type"] == "member.admitted" and event["data"]["became_client"] is False
    assert told(api, late, event["seq"]) == []  # still pending: told what a viewer is told
    assert [n["kind"] for n in told(api, f, event["seq"])] == ["people"]
    assert role_of(api, late, job["id"]) == "client_pending"

    api.accept(late, job["id"], 1, in_force_terms_hash(api, f, job["id"]))
    event = last_event(api, f, job["id"])
    assert event["type"] == "agreement.accepted" and event["data"]["became_client"] is True
    assert event["data"]["role"] == "client"
    assert role_of(api, late, job["id"]) == "client"


def test_a_clients_invitation_counts_as_their_admission(api, people, job):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    invite = api.invite(c, job["id"], "client")
    preview = api.ok("GET", f"/invites/{invite['token']}")["invite"]
    assert preview["joins_as"] == "client_pending" and preview["invited_by_client"] is True
    colleague = api.signup("colleague")
    assert api.join(colleague, invite["token"])["role"] == "client_pending"
    waiting = api.ok("GET", f"/jobs/{job['id']}", c)["job"]["agreement"]["awaiting"]
    assert waiting[0]["admitted_by"] == [ref(c)] and waiting[0]["waiting_for"] == []
    api.accept(colleague, job["id"], 1, in_force_terms_hash(api, f, job["id"]))
    assert role_of(api, colleague, job["id"]) == "client"
    assert last_event(api, f, job["id"])["data"]["became_client"] is True

    # A client invites colleagues as clients only; listing and revoking links stay the freelancer's.
    refused = api.call("POST", f"/jobs/{job['id']}/invites", c, {"role": "viewer"})
    assert refused.status_code == 403 and "freelancer" in refused.get_json()["error"]["message"]
    mine = api.invite(c, job["id"], "client")
    assert api.call("GET", f"/jobs/{job['id']}/invites", c).status_code == 403
    assert api.call("POST", f"/jobs/{job['id']}/invites/{mine['id']}/revoke", c).status_code == 403
    assert api.ok("POST", f"/jobs/{job['id']}/invites/{mine['id']}/revoke", f)["invite"]["state"] == "revoked"
    assert api.call("POST", f"/jobs/{job['id']}/invites", people["viewer"], {"role": "client"}).status_code == 403
    pending = second_client(api, people, job, "pending")
    assert api.call("POST", f"/jobs/{job['id']}/invites", pending, {"role": "client"}).status_code == 403


def test_the_freelancers_invitation_admits_nobody(api, people, job):
    f = people["freelancer"]
    activate(api, people, job)
    invite = api.invite(f, job["id"], "client")
    preview = api.ok("GET", f"/invites/{invite['token']}")["invite"]
    assert preview["invited_by_client"] is False
    puppet = api.signup("puppet")
    api.join(puppet, invite["token"])
    api.accept(puppet, job["id"], 1)
    assert role_of(api, puppet, job["id"]) == "client_pending"


def test_two_existing_clients_must_both_admit(api, people, job):
    f, c = people["freelancer"], people["client"]
    partner = full_client(api, people, job, "partner")
    proposed = api.propose(f, job["id"])
    api.accept(c, job["id"], 1, proposed["terms_hash"])
    assert api.accept(partner, job["id"], 1, proposed["terms_hash"])["status"] == "in_force"
    # Even a newcomer one client invited waits for the other client's admission.
    colleague = api.signup("colleague")
    api.join(colleague, api.invite(c, job["id"], "client")["token"])
    puppet = second_client(api, people, job)
    api.accept(puppet, job["id"], 1, proposed["terms_hash"])
    api.accept(colleague, job["id"], 1, proposed["terms_hash"])
    assert role_of(api, colleague, job["id"]) == "client_pending"

    first = api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)["member"]
    assert first["role"] == "client_pending" and first["waiting_for"] == [ref(partner)]
    seq = api.events(f, job["id"])["last_seq"]
    assert api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)["member"] == first
    assert api.events(f, job["id"])["last_seq"] == seq
    assert approve_refused(api, f, puppet, job)
    # The partner is told of the first admission (theirs is still missing).
    assert [n["kind"] for n in told(api, partner, seq)] == ["people"]

    done = api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", partner)["member"]
    assert done == {"user": ref(puppet), "role": "client", "accepted": True,
                    "admitted_by": [ref(c), ref(partner)], "waiting_for": []}
    assert role_of(api, puppet, job["id"]) == "client"
    # The colleague now waits for the partner and the puppet (a full client too, now).
    waiting = next(w for w in api.ok("GET", f"/jobs/{job['id']}", c)["job"]["agreement"]["awaiting"]
                   if w["user"]["id"] == colleague["id"])
    assert waiting["admitted_by"] == [ref(c)] and waiting["waiting_for"] == [ref(partner), ref(puppet)]


def approve_refused(api: Any, f: dict[str, Any], who: dict[str, Any], job: dict[str, Any]) -> bool:
    milestones = api.ok("GET", f"/jobs/{job['id']}", f)["job"]["milestones"]
    assert submit(api, f, milestones[0]["id"]).status_code == 200
    return approve(api, who, milestones[0]["id"]).status_code == 403


def test_only_a_full_client_admits_and_bad_targets_are_refused(api, people, job):
    f, c, viewer, outsider = people["freelancer"], people["client"], people["viewer"], people["outsider"]
    activate(api, people, job)
    puppet = second_client(api, people, job)
    other = second_client(api, people, job, "other")
    seq = api.events(f, job["id"])["last_seq"]

    for who, status in ((viewer, 403), (f, 403), (other, 403), (puppet, 403), (outsider, 404)):
        response = admit(api, who, job["id"], puppet["id"])
        assert response.status_code == status, (who["label"], response.get_json())
        assert response.get_json()["error"]["message"]
    assert "freelancer" in admit(api, f, job["id"], puppet["id"]).get_json()["error"]["message"]
    for target, status in ((viewer["id"], 409), (f["id"], 409), (c["id"], 409), (outsider["id"], 404),
                           (999999, 404), (2**70, 404), ("abc", 404), (-1, 404)):
        response = admit(api, c, job["id"], target)
        assert response.status_code == status, (target, response.status_code)
        assert response.get_json()["error"]["code"]
    assert admit(api, c, "no-such-job", puppet["id"]).status_code == 404
    assert api.call("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit").status_code == 401
    assert api.events(f, job["id"])["last_seq"] == seq  # nothing refused was recorded
    assert role_of(api, puppet, job["id"]) == "client_pending"


def test_removing_the_client_who_had_not_admitted_makes_the_newcomer_a_client(api, people, job):
    f, c = people["freelancer"], people["client"]
    partner = full_client(api, people, job, "partner")
    proposed = api.propose(f, job["id"])
    api.accept(c, job["id"], 1, proposed["terms_hash"])
    api.accept(partner, job["id"], 1, proposed["terms_hash"])
    late = second_client(api, people, job, "late")
    api.accept(late, job["id"], 1, proposed["terms_hash"])
    api.ok("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", c)
    assert role_of(api, late, job["id"]) == "client_pending"
    api.ok("DELETE", f"/jobs/{job['id']}/members/{partner['id']}", f)
    event = last_event(api, f, job["id"])
    assert event["type"] == "member.admitted" and event["actor"] is None
    assert event["data"] == {"user": ref(late), "role": "client", "became_client": True}
    assert role_of(api, late, job["id"]) == "client"


def test_an_admission_does_not_outlive_the_membership(api, people, job):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    puppet = second_client(api, people, job)
    api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)
    api.ok("DELETE", f"/jobs/{job['id']}/members/{puppet['id']}", f)
    api.join(puppet, api.invite(f, job["id"], "client")["token"])
    api.accept(puppet, job["id"], 1)
    assert role_of(api, puppet, job["id"]) == "client_pending"
    waiting = api.ok("GET", f"/jobs/{job['id']}", c)["job"]["agreement"]["awaiting"]
    assert waiting[0]["admitted_by"] == [] and waiting[0]["actions"] == ["admit"]


# ---------------------------------------------------------------- pages

def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_pages_show_who_waits_for_whose_admission_and_offer_the_button(app, client, api, people, job):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    puppet = second_client(api, people, job)
    api.accept(puppet, job["id"], 1)

    _login(client, puppet)
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert f"You become a client once {c['name']} admits you." in page
    assert "Accept version 1 and join as client" not in page and "Admit as client" not in page

    fran = app.test_client()  # separate browsers; no `with` (a kept request context would share `g`)
    _login(fran, f)
    page = fran.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert f"waiting for {c['name']}'s admission" in page and "Admit as client" not in page

    clara = app.test_client()
    _login(clara, c)
    room = clara.get(f"/jobs/{job['id']}/").get_data(as_text=True)
    assert f"waiting for {c['name']}'s admission" in room and "Admit as client" in room
    page = clara.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert "Admit as client" in page
    action = f"/jobs/{job['id']}/members/{puppet['id']}/admit"
    assert f'action="{action}"' in page
    assert clara.post(action, data={}).status_code == 400  # no CSRF token: refused
    assert role_of(api, puppet, job["id"]) == "client_pending"
    response = clara.post(action, data={"csrf_token": _csrf(page)}, follow_redirects=True)
    assert response.status_code == 200
    assert f"You admitted {puppet['name']}; they are now a client" in response.get_data(as_text=True)
    assert role_of(api, puppet, job["id"]) == "client"


def test_admitting_on_the_page_before_acceptance_says_what_is_missing(app, client, api, people, job):
    c = people["client"]
    activate(api, people, job)
    late = second_client(api, people, job, "late")
    _login(client, c)
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    response = client.post(f"/jobs/{job['id']}/members/{late['id']}/admit", data={"csrf_token": _csrf(page)},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "They become a client after their acceptance of the terms in force." in text
    again = client.post(f"/jobs/{job['id']}/members/{people['viewer']['id']}/admit",
                        data={"csrf_token": _csrf(text)}, follow_redirects=True)
    assert "is not a client waiting to join" in again.get_data(as_text=True)


def test_the_invite_page_says_the_clients_must_admit_too(client, api, people, job):
    activate(api, people, job)
    token = api.invite(people["freelancer"], job["id"], "client")["token"]
    page = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "the existing client(s) have admitted you" in page
    token = api.invite(people["client"], job["id"], "client")["token"]
    page = client.get(f"/invite/{token}").get_data(as_text=True)
    assert "invitation counts as their admission" in page


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_openapi_document_describes_admission(api):
    doc = api.ok("GET", "/openapi.json")
    op = doc["paths"]["/jobs/{job_id}/members/{user_id}/admit"]["post"]
    assert {"200", "401", "403", "404", "409"} <= set(op["responses"])
