"""The agreement: proposing, accepting, versions, the diff, and what coming into force does."""
from __future__ import annotations

from datetime import date, timedelta

from tests.support import terms


def test_first_version_comes_into_force_when_the_client_accepts(api, people, job):
    f, c = people["freelancer"], people["client"]
    proposed = api.propose(f, job["id"])
    assert proposed["version"] == 1 and proposed["status"] == "proposed"
    assert proposed["total"] == 50000 and proposed["upfront_due"] == 10000
    assert [a["role"] for a in proposed["acceptances"]] == ["freelancer"]  # proposing is accepting

    state = api.ok("GET", f"/jobs/{job['id']}", c)["job"]
    assert state["status"] == "draft" and state["agreement"] is None
    assert state["pending_agreement"]["version"] == 1 and state["milestones"] == []

    accepted = api.accept(c, job["id"], 1, proposed["terms_hash"])
    assert accepted["status"] == "in_force"
    assert {a["role"] for a in accepted["acceptances"]} == {"freelancer", "client"}
    assert all(a["terms_hash"] == proposed["terms_hash"] for a in accepted["acceptances"])

    state = api.ok("GET", f"/jobs/{job['id']}", f)["job"]
    assert state["status"] == "active"
    assert state["agreement"]["version"] == 1 and state["pending_agreement"] is None
    assert [(m["title"], m["amount"], m["state"]) for m in state["milestones"]] == [
        ("Concepts", 30000, "planned"), ("Final", 20000, "planned")]
    assert set(state["milestones"][0]) >= {"id", "title", "amount", "due", "state"}


def test_accepting_twice_is_a_harmless_200(api, people, job):
    f, c = people["freelancer"], people["client"]
    proposed = api.propose(f, job["id"])
    again = api.accept(f, job["id"], 1)  # the proposer already accepted
    assert again["status"] == "proposed" and len(again["acceptances"]) == 1
    api.accept(c, job["id"], 1)
    before = api.events(f, job["id"])["last_seq"]
    final = api.accept(c, job["id"], 1, proposed["terms_hash"])
    assert final["status"] == "in_force" and len(final["acceptances"]) == 2
    assert api.events(f, job["id"])["last_seq"] == before  # nothing recorded


def test_the_client_may_propose_and_the_freelancer_accepts(api, people, job):
    proposed = api.propose(people["client"], job["id"])
    assert proposed["acceptances"][0]["role"] == "client"
    assert api.accept(people["freelancer"], job["id"], 1)["status"] == "in_force"


def test_a_newer_proposal_supersedes_the_pending_one(api, people, job):
    f, c = people["freelancer"], people["client"]
    v1 = api.propose(f, job["id"])
    v2 = api.propose(f, job["id"], terms(auto_approve_days=5))
    assert v2["version"] == 2
    response = api.call("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": v1["terms_hash"]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "superseded"
    assert "version 2" in response.get_json()["error"]["message"]
    assert api.ok("GET", f"/jobs/{job['id']}/agreements/1", c)["agreement"]["status"] == "superseded"
    assert api.accept(c, job["id"], 2)["status"] == "in_force"


def test_accepting_with_a_different_terms_hash_is_refused(api, people, job):
    api.propose(people["freelancer"], job["id"])
    response = api.call("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
                        {"terms_hash": "0" * 64})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "terms_changed"
    assert api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["agreement"] is None


def test_a_new_version_leaves_the_old_in_force_until_accepted(api, people, job):
    f, c = people["freelancer"], people["client"]
    api.propose(f, job["id"])
    api.accept(c, job["id"], 1)
    plan = terms()
    plan["milestones"] = plan["milestones"] + [{
        "title": "Extra icon set", "amount": 15000, "due": plan["deadline"], "criteria": ["12 icons"],
        "revisions": 1}]
    plan["milestones"][0] = {**plan["milestones"][0], "amount": 35000}
    v2 = api.propose(c, job["id"], plan)
    state = api.ok("GET", f"/jobs/{job['id']}", f)["job"]
    assert state["agreement"]["version"] == 1 and state["pending_agreement"]["version"] == 2
    assert [m["amount"] for m in state["milestones"]] == [30000, 20000]

    api.accept(f, job["id"], 2, v2["terms_hash"])
    state = api.ok("GET", f"/jobs/{job['id']}", f)["job"]
    assert state["agreement"]["version"] == 2 and state["pending_agreement"] is None
    assert [(m["title"], m["amount"]) for m in state["milestones"]] == [
        ("Concepts", 35000), ("Final", 20000), ("Extra icon set", 15000)]
    versions = api.ok("GET", f"/jobs/{job['id']}/agreements", f)["agreements"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "in_force"), (1, "replaced")]


def test_dropping_a_planned_milestone_cancels_it(api, people, job):
    f, c = people["freelancer"], people["client"]
    api.propose(f, job["id"])
    api.accept(c, job["id"], 1)
    plan = terms()
    plan["milestones"] = plan["milestones"][:1]
    api.propose(f, job["id"], plan)
    api.accept(c, job["id"], 2)
    states = [m["state"] for m in api.ok("GET", f"/jobs/{job['id']}", f)["job"]["milestones"]]
    assert states == ["planned", "cancelled"]


def test_identical_terms_are_not_a_new_version(api, people, job):
    api.propose(people["freelancer"], job["id"])
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["client"], terms())
    assert response.status_code == 409 and "same as version 1" in response.get_json()["error"]["message"]


def test_versions_are_immutable_and_numbered(api, people, job):
    f = people["freelancer"]
    first = api.propose(f, job["id"])
    api.propose(f, job["id"], terms(scope="Something else"))
    again = api.ok("GET", f"/jobs/{job['id']}/agreements/1", f)["agreement"]
    assert again["terms"] == first["terms"] and again["terms_hash"] == first["terms_hash"]


def test_invalid_terms_name_every_bad_field(api, people, job):
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    bad = terms(deadline=yesterday, currency="EUROS", update_every_hours=0, auto_approve_days="7",
                upfront={"kind": "portion", "amount": 60000}, scope="  ")
    bad["milestones"] = [{"title": "", "amount": 10.5, "due": "soon", "revisions": -1, "criteria": "x"}]
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], bad)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {
        "scope", "deadline", "currency", "update_every_hours", "auto_approve_days",
        "milestones.0.title", "milestones.0.amount", "milestones.0.due", "milestones.0.revisions",
        "milestones.0.criteria",
    }
    assert "past" in fields["deadline"]


def test_upfront_portion_must_be_less_than_the_total(api, people, job):
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
                        terms(upfront={"kind": "portion", "amount": 50000}))
    assert response.status_code == 422
    assert "less than the total (500.00 EUR)" in response.get_json()["error"]["fields"]["upfront.amount"]


def test_upfront_all_asks_for_the_total(api, people, job):
    proposed = api.propose(people["freelancer"], job["id"], terms(upfront={"kind": "all"}))
    assert proposed["upfront_due"] == proposed["total"] == 50000


def test_milestone_due_after_deadline_is_refused(api, people, job):
    plan = terms()
    plan["milestones"][1]["due"] = (date.fromisoformat(plan["deadline"]) + timedelta(days=1)).isoformat()
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], plan)
    assert response.get_json()["error"]["fields"] == {"milestones.1.due": "A milestone cannot be due after the deadline."}


def test_at_least_one_milestone(api, people, job):
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], terms(milestones=[]))
    assert response.status_code == 422 and "milestones" in response.get_json()["error"]["fields"]


def test_agreement_events_are_recorded_in_order(api, people, job):
    f, c = people["freelancer"], people["client"]
    api.propose(f, job["id"])
    api.accept(c, job["id"], 1)
    types = [e["type"] for e in api.events(f, job["id"])["events"]]
    assert types == ["job.created", "member.joined", "member.joined", "agreement.proposed",
                     "agreement.accepted", "agreement.in_force", "upfront.requested"]
    in_force = api.events(f, job["id"])["events"][-2]
    assert in_force["data"]["job_status"] == "active" and len(in_force["data"]["milestones"]) == 2
    upfront = api.events(f, job["id"])["events"][-1]
    assert upfront["data"]["amount"] == 10000 and upfront["data"]["balances"]["owed"] == 10000


def test_a_milestone_due_in_the_past_is_refused_with_a_field_error(api, people, job):
    today, yesterday = date.today(), date.today() - timedelta(days=1)
    late = terms()
    late["milestones"][1]["due"] = yesterday.isoformat()
    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], late)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"milestones.1.due": "A milestone cannot be due in the past."}
    on_time = terms()
    on_time["milestones"][0]["due"] = today.isoformat()  # due today is not in the past
    assert api.propose(people["freelancer"], job["id"], on_time)["status"] == "proposed"


def test_terms_proposed_mid_job_keep_the_past_dates_of_milestones_they_do_not_move():
    import pytest

    from workspace.domain.agreement import validate_terms
    from workspace.domain.errors import Invalid

    signed_on, today = date(2026, 1, 1), date(2026, 2, 1)
    in_force = validate_terms({**terms(), "deadline": "2026-03-01", "milestones": [
        {"title": "Concepts", "amount": 30000, "due": "2026-01-10"},
        {"title": "Final", "amount": 20000, "due": "2026-03-01"}]}, signed_on)
    changed = {**in_force, "milestones": [*in_force["milestones"],
                                          {"title": "Extra", "amount": 5000, "due": "2026-03-01"}]}
    assert validate_terms(changed, today, in_force)["milestones"][0]["due"] == "2026-01-10"
    with pytest.raises(Invalid) as refused:  # no terms in force to keep the date from
        validate_terms(changed, today)
    assert refused.value.fields == {"milestones.0.due": "A milestone cannot be due in the past."}
    moved = {**changed, "milestones": [{**changed["milestones"][0], "due": "2026-01-20"}, *changed["milestones"][1:]]}
    with pytest.raises(Invalid) as refused:  # another past date is still the past
        validate_terms(moved, today, in_force)
    assert set(refused.value.fields) == {"milestones.0.due"}
    swapped = {**changed, "milestones": [changed["milestones"][1], changed["milestones"][0]]}
    with pytest.raises(Invalid) as refused:  # a kept date belongs to its position
        validate_terms(swapped, today, in_force)
    assert set(refused.value.fields) == {"milestones.1.due"}
