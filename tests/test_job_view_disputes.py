"""The job view the room draws from: a disputed milestone is frozen (no approve, submit, cancel), a
disputable one offers "dispute", the dispute says who may answer, and invoices and payment instructions
come with the same fetch."""
from __future__ import annotations

from typing import Any

from tests.money_support import activate, approve, key, submit
from tests.support import ApiActions


def _view(api: ApiActions, who: dict[str, Any], job_id: str) -> dict[str, Any]:
    return api.ok("GET", f"/jobs/{job_id}", who)["job"]


def test_a_disputed_milestone_hides_approve_and_the_banner_says_who_answers(api, people, job):
    f, c, v = people["freelancer"], people["client"], people["viewer"]
    api.ok("PUT", "/me/billing", f, {"name": "Fran Studio", "payment_methods": [
        {"kind": "iban", "value": "DE89 3704 0044 0532 0130 00", "label": "Main account"}]})
    m1, m2 = (m["id"] for m in activate(api, people, job)["milestones"])
    assert submit(api, f, m1).status_code == 200
    assert submit(api, f, m2).status_code == 200

    before = {m["id"]: m for m in _view(api, c, job["id"])["milestones"]}
    assert {"approve", "request_changes", "dispute"} <= set(before[m1]["actions"])
    assert "dispute" in {m["id"]: m for m in _view(api, f, job["id"])["milestones"]}[m1]["actions"]
    assert "dispute" not in {m["id"]: m for m in _view(api, v, job["id"])["milestones"]}[m1]["actions"]

    opened = api.call("POST", f"/milestones/{m1}/disputes", c, {"reason": "Not vector"}, headers=key())
    assert opened.status_code == 201, opened.get_json()
    dispute_id = opened.get_json()["dispute"]["id"]

    client_view = _view(api, c, job["id"])
    frozen = {m["id"]: m for m in client_view["milestones"]}
    assert frozen[m1]["actions"] == [] and "disputed" not in frozen[m1]  # the entity stays the events' facts
    assert "approve" in frozen[m2]["actions"]
    assert client_view["disputed_milestones"] == [m1]
    [dispute] = client_view["disputes"]
    assert dispute["state"] == "open" and dispute["actions"] == ["propose", "withdraw"]
    assert dispute["kinds"] == ["amount", "revision"] and dispute["display"]["milestone_amount"] == "300.00 EUR"
    assert dispute["pending"] is None

    proposed = api.call("POST", f"/disputes/{dispute_id}/proposals", f, {"kind": "amount", "amount": 20000},
                        headers=key())
    assert proposed.status_code in (200, 201), proposed.get_json()
    fran = _view(api, f, job["id"])["disputes"][0]
    assert fran["actions"] == ["propose"] and fran["pending"]["actions"] == []  # the proposer waits
    cleo = _view(api, c, job["id"])["disputes"][0]
    assert cleo["pending"]["actions"] == ["accept"] and cleo["pending"]["amount_display"] == "200.00 EUR"
    assert _view(api, v, job["id"])["disputes"][0]["actions"] == []

    accepted = api.call("POST", f"/dispute-proposals/{cleo['pending']['id']}/accept", c, {}, headers=key())
    assert accepted.status_code == 200, accepted.get_json()
    after = _view(api, c, job["id"])
    assert after["disputed_milestones"] == [] and after["disputes"][0]["state"] == "resolved"
    assert after["disputes"][0]["actions"] == []
    assert [i["number"] for i in after["invoices"]] == ["INV-0002", "INV-0001"]  # the resolution, the advance
    instructions = after["payment_instructions"]
    assert instructions["reference"] == "INV-0002" and instructions["payee"] == "Fran Studio"
    assert instructions["methods"][0]["kind_label"] == "Bank transfer (IBAN/SWIFT)"
    assert instructions["display"]["owed"] == after["balances"]["display"]["owed"]


def test_an_approved_unpaid_milestone_is_disputed_by_amount_only(api, people, job):
    f, c = people["freelancer"], people["client"]
    m1 = activate(api, people, job)["milestones"][0]["id"]
    submit(api, f, m1)
    assert approve(api, c, m1).status_code == 200
    assert "dispute" in {m["id"]: m for m in _view(api, f, job["id"])["milestones"]}[m1]["actions"]
    opened = api.call("POST", f"/milestones/{m1}/disputes", f, {"reason": "Unpaid"}, headers=key())
    assert opened.status_code == 201
    dispute = _view(api, c, job["id"])["disputes"][0]
    assert dispute["kinds"] == ["amount"] and dispute["actions"] == ["propose"]
