"""Consent nobody can manufacture: terms come into force only when the freelancer and every client
accepted them; a client invited once terms are in force is pending until they accept them and the
existing clients admit them (more in test_consent_admission.py); reviews show the money the job's
confirmed payments stand for."""
from __future__ import annotations

from typing import Any

import pytest

from tests.money_support import activate, approve, balances, confirm, pay, submit
from tests.sockets import job_with_people
from tests.support import terms
from tests import test_money_races as races


def second_client(api: Any, people: dict[str, Any], job: dict[str, Any], label: str = "puppet") -> dict[str, Any]:
    person = api.signup(label)
    api.join(person, api.invite(people["freelancer"], job["id"], "client")["token"])
    return person


def role_of(api: Any, who: dict[str, Any], job_id: str) -> str:
    return api.ok("GET", f"/jobs/{job_id}", who)["job"]["role"]


def awaiting(view: dict[str, Any]) -> list[int]:
    return [w["user"]["id"] for w in view["awaiting"]]


def test_a_puppet_client_cannot_put_terms_in_force_against_the_real_client(api, people, job):
    f, c = people["freelancer"], people["client"]
    state = activate(api, people, job)
    before = balances(api, c, job["id"])
    puppet = second_client(api, people, job)
    assert role_of(api, puppet, job["id"]) == "client_pending"
    joined = api.events(f, job["id"])["events"][-1]
    assert joined["type"] == "member.joined" and joined["data"]["role"] == "client_pending"

    greedy = terms(upfront={"kind": "all"}, milestones=[
        {**m, "amount": m["amount"] * 9} for m in terms()["milestones"]])
    # Pending: cannot propose, and cannot accept anything but the terms in force.
    refused = api.call("POST", f"/jobs/{job['id']}/agreements", puppet, greedy)
    assert refused.status_code == 403 and "Accept the terms in force first" in refused.get_json()["error"]["message"]
    v2 = api.propose(f, job["id"], greedy)
    refused = api.call("POST", f"/jobs/{job['id']}/agreements/{v2['version']}/accept", puppet, {})
    assert refused.status_code == 403 and "version 1" in refused.get_json()["error"]["message"]

    # Accepting the terms in force is not enough: the real client has not admitted the puppet.
    joined_v1 = api.accept(puppet, job["id"], 1, state["agreement"]["terms_hash"])
    assert joined_v1["status"] == "in_force" and awaiting(joined_v1) == [puppet["id"]]
    assert joined_v1["awaiting"][0]["accepted"] is True and joined_v1["awaiting"][0]["waiting_for"] == [
        {"id": c["id"], "name": c["name"]}]
    assert role_of(api, puppet, job["id"]) == "client_pending"
    accepted = api.events(f, job["id"])["events"][-1]
    assert accepted["type"] == "agreement.accepted" and accepted["data"]["became_client"] is False
    assert api.call("POST", f"/jobs/{job['id']}/agreements/{v2['version']}/accept", puppet, {}).status_code == 403
    # Once the real client admits them, they are a client; the new version still waits for the real one.
    assert api.ok("POST", f"/jobs/{job['id']}/members/{puppet['id']}/admit", c)["member"]["role"] == "client"
    assert role_of(api, puppet, job["id"]) == "client"
    still = api.accept(puppet, job["id"], v2["version"], v2["terms_hash"])
    assert still["status"] == "proposed"
    assert awaiting(still) == [c["id"]]
    assert {a["user"]["id"] for a in still["acceptances"]} == {f["id"], puppet["id"]}

    seen_by_client = api.ok("GET", f"/jobs/{job['id']}", c)["job"]
    assert seen_by_client["agreement"]["version"] == 1
    assert seen_by_client["pending_agreement"]["awaiting"] == [{"user": {"id": c["id"], "name": c["name"]},
                                                                "role": "client"}]
    assert balances(api, c, job["id"]) == before  # nothing owed beyond what the real client agreed
    # Once the real client accepts too, it is in force: consent, not manufacture.
    assert api.accept(c, job["id"], v2["version"], v2["terms_hash"])["status"] == "in_force"


def test_every_client_accepts_before_terms_are_in_force(api, people, job):
    f, c, viewer = people["freelancer"], people["client"], people["viewer"]
    other = second_client(api, people, job, "partner")
    assert role_of(api, other, job["id"]) == "client"  # no terms in force yet: a full client
    proposed = api.propose(f, job["id"])
    assert awaiting(proposed) == [c["id"], other["id"]]
    assert api.call("POST", f"/jobs/{job['id']}/agreements/1/accept", viewer, {}).status_code == 403
    first = api.accept(c, job["id"], 1, proposed["terms_hash"])
    assert first["status"] == "proposed" and awaiting(first) == [other["id"]]
    assert api.ok("GET", f"/jobs/{job['id']}", f)["job"]["status"] == "draft"
    final = api.accept(other, job["id"], 1, proposed["terms_hash"])
    assert final["status"] == "in_force" and final["awaiting"] == []
    types = [e["type"] for e in api.events(f, job["id"])["events"]]
    assert types.count("agreement.in_force") == 1


def test_a_client_proposal_waits_for_the_freelancer_and_the_other_clients(api, people, job):
    f, c = people["freelancer"], people["client"]
    other = second_client(api, people, job, "partner")
    proposed = api.propose(c, job["id"])
    assert awaiting(proposed) == [f["id"], other["id"]]
    assert api.accept(f, job["id"], 1)["status"] == "proposed"
    assert api.accept(other, job["id"], 1)["status"] == "in_force"


def test_removing_the_last_missing_client_brings_the_version_into_force(api, people, job):
    f, c = people["freelancer"], people["client"]
    other = second_client(api, people, job, "partner")
    proposed = api.propose(f, job["id"])
    api.accept(c, job["id"], 1, proposed["terms_hash"])
    api.ok("DELETE", f"/jobs/{job['id']}/members/{other['id']}", f)
    state = api.ok("GET", f"/jobs/{job['id']}", c)["job"]
    assert state["status"] == "active" and state["agreement"]["version"] == 1
    types = [e["type"] for e in api.events(f, job["id"])["events"]]
    assert types[-3:] == ["member.removed", "agreement.in_force", "upfront.requested"]


def test_a_removed_clients_acceptance_no_longer_counts(api, people, job):
    f, c = people["freelancer"], people["client"]
    puppet = second_client(api, people, job)
    proposed = api.propose(f, job["id"])
    api.accept(puppet, job["id"], 1, proposed["terms_hash"])
    api.ok("DELETE", f"/jobs/{job['id']}/members/{puppet['id']}", f)
    state = api.ok("GET", f"/jobs/{job['id']}", c)["job"]
    assert state["agreement"] is None and awaiting(state["pending_agreement"]) == [c["id"]]
    assert api.accept(c, job["id"], 1, proposed["terms_hash"])["status"] == "in_force"


def test_removing_the_only_client_puts_nothing_in_force(api, people, job):
    f, c = people["freelancer"], people["client"]
    api.propose(f, job["id"])
    api.ok("DELETE", f"/jobs/{job['id']}/members/{c['id']}", f)
    state = api.ok("GET", f"/jobs/{job['id']}", f)["job"]
    assert state["agreement"] is None and state["pending_agreement"]["status"] == "proposed"


def test_a_pending_client_cannot_approve_pay_or_post_until_accepting(api, people, job):
    f = people["freelancer"]
    state = activate(api, people, job)
    m1 = state["milestones"][0]["id"]
    late = second_client(api, people, job, "late")
    preview_token = api.invite(f, job["id"], "client")["token"]
    preview = api.ok("GET", f"/invites/{preview_token}")["invite"]
    assert preview["joins_as"] == "client_pending" and preview["in_force_version"] == 1

    submit(api, f, m1)
    assert approve(api, late, m1).status_code == 403
    assert pay(api, late, job["id"], 10000).status_code == 403
    assert api.call("POST", f"/jobs/{job['id']}/messages", late, {"body": "hi"}).status_code == 403
    assert api.call("POST", f"/jobs/{job['id']}/agreements", late, terms(auto_approve_days=3)).status_code == 403
    assert api.ok("GET", f"/jobs/{job['id']}", late)["job"]["milestones"][0]["id"] == m1  # reads like a viewer
    in_force = api.ok("GET", f"/jobs/{job['id']}", f)["job"]["agreement"]
    assert awaiting(in_force) == [late["id"]]

    api.accept(late, job["id"], 1, in_force["terms_hash"])
    assert approve(api, late, m1).status_code == 403  # accepted, but the client has not admitted them yet
    assert pay(api, late, job["id"], 10000).status_code == 403
    api.ok("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", people["client"])
    assert approve(api, late, m1).status_code == 200
    assert pay(api, late, job["id"], 10000).status_code == 201
    assert api.ok("GET", f"/jobs/{job['id']}", f)["job"]["agreement"]["awaiting"] == []


def test_new_terms_in_force_leave_a_pending_client_pending(api, people, job):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    late = second_client(api, people, job, "late")
    v2 = api.propose(f, job["id"], terms(auto_approve_days=3))
    assert awaiting(v2) == [c["id"]]  # a pending client is not waited for
    in_force = api.accept(c, job["id"], 2, v2["terms_hash"])
    assert in_force["status"] == "in_force" and awaiting(in_force) == [late["id"]]
    assert api.call("POST", f"/jobs/{job['id']}/agreements/1/accept", late, {}).status_code == 409  # replaced
    api.accept(late, job["id"], 2, v2["terms_hash"])
    assert role_of(api, late, job["id"]) == "client_pending"  # until the client admits them
    api.ok("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", c)
    assert role_of(api, late, job["id"]) == "client"


def test_reviews_show_the_confirmed_amount_of_the_job(client, api, people, job):
    f, c = people["freelancer"], people["client"]
    tiny = terms(upfront={"kind": "none"}, milestones=[{**terms()["milestones"][0], "amount": 1}], currency="USD")
    state = activate(api, people, job, tiny)
    m1 = state["milestones"][0]["id"]
    submit(api, f, m1)
    approve(api, c, m1)
    confirm(api, f, pay(api, c, job["id"], 1).get_json()["payment"]["id"])
    review = api.ok("POST", f"/jobs/{job['id']}/reviews", c, {"rating": 5, "text": "Wow", "consent_to_name": True},
                    status=201)["review"]
    assert review["paid"]["amount"] == 1 and review["paid"]["currency"] == "USD"
    assert review["paid"]["confirmed"] is True and review["paid"]["display"] == "0.01 USD"
    posted = api.events(f, job["id"])["events"][-1]
    assert posted["type"] == "review.posted"
    assert posted["data"]["review"]["paid"] == {"amount": 1, "currency": "USD", "confirmed": True}

    url = api.ok("GET", "/me", f)["user"]["profile_url"]
    public = api.ok("GET", url.replace("/people/", "/profiles/"))["reviews"][0]
    assert public["paid"]["display"] == "0.01 USD" and public["paid"]["confirmed"] is True
    page = client.get(url).get_data(as_text=True)
    assert "0.01 USD" in page and "payment confirmed by" in page


def test_the_agreement_page_lists_who_accepted_and_who_has_not(client, api, people, job):
    f, c = people["freelancer"], people["client"]
    other = second_client(api, people, job, "partner")
    api.propose(f, job["id"])
    api.accept(c, job["id"], 1)
    _login(client, other)
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert f"{c['name']} (client)" in page and "has not accepted yet" in page
    assert f'{other["name"]} (client) <span class="consent-state">has not accepted yet' in page
    assert "Accept version 1" in page
    room = client.get(f"/jobs/{job['id']}/").get_data(as_text=True)
    assert 'class="consent"' in room and "has not accepted yet" in room


def test_a_pending_client_sees_how_to_join_on_the_agreement_page(client, api, people, job):
    activate(api, people, job)
    late = second_client(api, people, job, "late")
    _login(client, late)
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert "Accept version 1 and join as client" in page and "has not accepted yet" in page
    room = client.get(f"/jobs/{job['id']}/").get_data(as_text=True)
    assert "accept the terms in force" in room and "not yet accepted and admitted" in room


def _login(client: Any, who: dict[str, Any]) -> None:
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": who["email"], "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code in (302, 303), response.status_code



def test_migration_0006_makes_clients_who_never_accepted_the_terms_in_force_pending(tmp_path):
    """A client bound by someone else's acceptance before 0006 becomes pending; the signer stays a client."""
    from datetime import datetime

    from sqlalchemy import MetaData, create_engine, insert, select

    from workspace.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)

    def add(conn: Any, table: str, **values: Any) -> int:
        t = meta.tables[table]
        for column in t.columns:
            if column.name in values or column.nullable or column.primary_key or column.server_default is not None:
                continue
            kind = column.type.python_type
            values[column.name] = {int: 0, str: f"{table}-{column.name}-{len(values)}", bool: False,
                                   datetime: datetime(2026, 1, 1), dict: {}}.get(kind, "x")
        return int(conn.execute(insert(t).values(**values)).inserted_primary_key[0])

    with engine.begin() as conn:
        users = [add(conn, "users", email=f"u{n}@example.test", name=f"U{n}") for n in range(4)]
        job = add(conn, "jobs", public_id="j1", title="Old", status="active", last_seq=0, in_force_version=1)
        for user, role in zip(users, ("freelancer", "client", "client", "viewer")):
            add(conn, "memberships", job_id=job, user_id=user, role=role, last_read_seq=0)
        agreement = add(conn, "agreements", job_id=job, version=1, proposed_by_id=users[0], terms={},
                        terms_hash="h", status="in_force")
        for user, role in ((users[0], "freelancer"), (users[1], "client")):
            add(conn, "acceptances", agreement_id=agreement, user_id=user, role=role, terms_hash="h")
    upgrade(url, "0006")
    memberships = meta.tables["memberships"]
    with engine.connect() as conn:
        roles = dict(conn.execute(select(memberships.c.user_id, memberships.c.role)).all())
    assert [roles[u] for u in users] == ["freelancer", "client", "client_pending", "viewer"]
    from alembic import command

    command.downgrade(alembic_config(url), "0005")
    with engine.connect() as conn:
        roles = dict(conn.execute(select(memberships.c.user_id, memberships.c.role)).all())
    assert roles[users[2]] == "viewer"
    engine.dispose()


def test_a_clients_proposal_tells_the_other_clients_whose_acceptance_it_needs(api, people, job):
    f, c = people["freelancer"], people["client"]
    other = second_client(api, people, job, "partner")
    proposed = api.propose(c, job["id"])
    seq = api.events(f, job["id"])["last_seq"]

    def told(who: dict[str, Any]) -> bool:
        found = api.ok("GET", "/notifications?limit=100", who)["notifications"]
        return any(n["url"].endswith(f"#event-{seq}") and n["kind"] == "terms" for n in found)

    assert proposed["version"] == 1
    assert told(f) and told(other) and not told(c) and not told(people["viewer"])


def test_a_pending_client_is_told_what_a_viewer_is_told(api, people, job):
    f = people["freelancer"]
    activate(api, people, job)
    late = second_client(api, people, job, "late")
    posted = api.call("POST", f"/jobs/{job['id']}/messages", f, {"body": "Welcome"})
    assert posted.status_code == 201
    kinds = [n["kind"] for n in api.ok("GET", "/notifications?limit=100", late)["notifications"]]
    assert kinds == ["messages"]


two_workers = races.two_workers  # the fixture: two server processes, one database (SQLite and PostgreSQL)


@pytest.mark.realtime
def test_a_join_racing_the_last_acceptance_never_makes_an_unconsenting_client(two_workers):
    """Two server processes: the client's acceptance and a second client's join, at once. Either the
    newcomer joined first (a client the version waits for) or after (pending); never a full client of
    terms they did not accept."""
    first, second = two_workers
    for _round in range(3):
        job, people = job_with_people(first)
        f, c = people["freelancer"], people["client"]
        newcomer = first.signup("newcomer")
        proposed = first.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]
        token = first.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "client"}, status=201).json()["invite"]["token"]
        accept, join = races._race([
            (f"{first.url}/api/v1/jobs/{job['id']}/agreements/1/accept", c["token"], {}),
            (f"{second.url}/api/v1/invites/{token}/accept", newcomer["token"], {}),
        ])
        assert accept.status_code == 200 and join.status_code == 200, (accept.text, join.text)
        state = first.api("GET", f"/jobs/{job['id']}", newcomer, status=200).json()["job"]
        if state["role"] == "client":
            assert state["agreement"] is None and [w["user"]["id"] for w in state["pending_agreement"]["awaiting"]] \
                == [newcomer["id"]]
        else:
            assert state["role"] == "client_pending" and state["agreement"]["version"] == 1
            assert state["agreement"]["terms_hash"] == proposed["terms_hash"]
