"""Money units come from the server only: views carry each amount's ISO 4217 exponent and its display,
typed amounts become the right minor units, and each milestone says what this person may do now."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.money_support import activate, approve, confirm, key, pay, submit
from tests.support import terms

# currency -> (first milestone in minor units, exponent, how people see it). HUF and IQD are where the
# browser's Intl disagrees with ISO 4217 (Intl: HUF 0 decimals, IQD 0); JPY and KWD are where they agree.
CASES = {
    "HUF": (100000, 2, "1,000.00 HUF"),
    "JPY": (100000, 0, "100,000 JPY"),
    "KWD": (100000, 3, "100.000 KWD"),
    "IQD": (250000, 3, "250.000 IQD"),
    "EUR": (100000, 2, "1,000.00 EUR"),
}


def units_terms(currency: str, first: int, upfront: dict | None = None) -> dict:
    body = terms(currency=currency, upfront=upfront or {"kind": "none"})
    body["milestones"][0]["amount"] = first
    body["milestones"][1]["amount"] = 5000
    return body


@pytest.mark.parametrize("currency", sorted(CASES))
def test_views_carry_the_exponent_and_the_servers_display(api, people, job, currency):
    first, exp, display = CASES[currency]
    state = activate(api, people, job, units_terms(currency, first))
    m = state["milestones"][0]
    assert (m["amount"], m["currency"], m["exponent"], m["display"]["amount"]) == (first, currency, exp, display)
    agreement = state["agreement"]
    assert (agreement["currency"], agreement["exponent"]) == (currency, exp)
    assert agreement["display"]["milestones"][0] == display
    assert agreement["display"]["total"].endswith(f" {currency}")
    b = state["balances"]
    assert (b["currency"], b["exponent"], b["owed"], b["display"]["owed"]) == (currency, exp, 0, f"{'0.' + '0' * exp if exp else '0'} {currency}")
    assert b["display"]["agreed"] == agreement["display"]["total"]

    c, f = people["client"], people["freelancer"]
    submit(api, f, m["id"])
    approved = approve(api, c, m["id"]).get_json()
    assert approved["milestone"]["display"]["amount"] == display
    client_view = api.ok("GET", f"/jobs/{job['id']}", c)["job"]
    assert client_view["balances"]["display"]["owed"] == display
    assert client_view["balances"]["actions"] == ["pay"]
    # The payment form is prefilled with the server's major-unit text, read back by parse_major.
    from workspace.domain.money import parse_major
    assert parse_major(client_view["balances"]["major"]["payable"], currency) == first

    payment = pay(api, c, job["id"], first).get_json()["payment"]
    assert (payment["amount"], payment["exponent"], payment["display"]["amount"]) == (first, exp, display)
    confirm(api, f, payment["id"])

    # Events keep minor units (the fact) beside the display.
    events = {e["type"]: e["data"] for e in api.events(f, job["id"])["events"]}
    assert events["milestone.approved"]["milestone"]["amount"] == first
    assert events["milestone.approved"]["milestone"]["display"]["amount"] == display
    assert events["payment.confirmed"]["payment"]["amount"] == first
    assert events["payment.sent"]["payment"]["display"]["amount"] == display


def test_pending_and_payable_come_from_the_server(api, people, job):
    state = activate(api, people, job, units_terms("HUF", 100000))
    c, f = people["client"], people["freelancer"]
    m = state["milestones"][0]
    submit(api, f, m["id"])
    approve(api, c, m["id"])
    pay(api, c, job["id"], 25000)  # 250.00 HUF sent, not yet confirmed
    b = api.ok("GET", f"/jobs/{job['id']}", c)["job"]["balances"]
    assert (b["owed"], b["pending"], b["payable"]) == (100000, 25000, 75000)
    assert (b["display"]["pending"], b["display"]["payable"], b["major"]["payable"]) == ("250.00 HUF", "750.00 HUF", "750.00")
    freelancer = api.ok("GET", f"/jobs/{job['id']}", f)["job"]
    assert freelancer["balances"]["actions"] == []
    assert freelancer["payments"][0]["actions"] == ["confirm", "dispute"]
    assert api.ok("GET", f"/jobs/{job['id']}", c)["job"]["payments"][0]["actions"] == []


def test_what_approving_costs_is_computed_by_the_server(api, people, job):
    state = activate(api, people, job, units_terms("IQD", 250000, {"kind": "portion", "amount": 100000}))
    m = state["milestones"][0]
    submit(api, people["freelancer"], m["id"])
    client_m = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["milestones"][0]
    cost = client_m["on_approve"]
    assert (cost["from_deposits"], cost["payable"]) == (100000, 150000)
    assert (cost["display"]["from_deposits"], cost["display"]["payable"]) == ("100.000 IQD", "150.000 IQD")
    # The up-front 100 is not paid yet, so it is owed already: approving leaves 250 owed in all.
    assert cost["owed_after"] == 250000 and cost["display"]["owed_after"] == "250.000 IQD"
    assert "on_approve" not in api.ok("GET", f"/jobs/{job['id']}", people["freelancer"])["job"]["milestones"][0]


def _actions(api, people, job_id):
    views = {role: api.ok("GET", f"/jobs/{job_id}", people[role])["job"] for role in ("freelancer", "client", "viewer")}
    return {role: [m["actions"] for m in v["milestones"]] for role, v in views.items()}


# (state, cancel asked by) -> actions per role, written out independently of the state table.
# Once there is something to dispute (submitted, changes requested, approved and unpaid), both sides may.
EXPECTED = {
    ("planned", None): {"freelancer": ["submit", "cancel"], "client": ["cancel"], "viewer": []},
    ("submitted", None): {"freelancer": ["cancel", "dispute"], "client": ["approve", "request_changes", "cancel",
                                                                         "dispute"], "viewer": []},
    ("submitted", "freelancer"): {"freelancer": ["dispute"], "client": ["approve", "request_changes", "cancel",
                                                                        "dispute"], "viewer": []},
    ("changes_requested", None): {"freelancer": ["submit", "cancel", "dispute"], "client": ["cancel", "dispute"],
                                  "viewer": []},
    ("changes_requested", "out_of_scope"): {"freelancer": ["submit", "cancel", "price", "dispute"],
                                            "client": ["cancel", "dispute"], "viewer": []},
    ("approved", None): {"freelancer": ["dispute"], "client": ["dispute"], "viewer": []},
    ("cancelled", None): {"freelancer": [], "client": [], "viewer": []},
}


def test_actions_per_role_and_state(api, people, job):
    state = activate(api, people, job, units_terms("JPY", 1000))
    f, c = people["freelancer"], people["client"]
    m1, m2 = (m["id"] for m in state["milestones"])
    jid = job["id"]

    def at(_index):
        got = _actions(api, people, jid)
        return {role: lists[0] for role, lists in got.items()}

    assert at(0) == EXPECTED[("planned", None)]
    submit(api, f, m1)
    assert at(0) == EXPECTED[("submitted", None)]
    api.ok("POST", f"/milestones/{m1}/cancel", f, {})
    assert at(0) == EXPECTED[("submitted", "freelancer")]
    api.ok("POST", f"/milestones/{m1}/request-changes", c, {"reason": "More blue", "criteria": [], "out_of_scope": False})
    assert at(0)["client"] == ["cancel", "dispute"] and at(0)["freelancer"] == ["submit", "dispute"]  # the freelancer's cancel request stands
    submit(api, f, m1)
    api.ok("POST", f"/milestones/{m1}/request-changes", c, {"reason": "New page", "criteria": [], "out_of_scope": True})
    got = at(0)
    assert got["freelancer"] == ["submit", "price", "dispute"] and got["client"] == ["cancel", "dispute"]
    assert got["viewer"] == []
    submit(api, f, m1)
    approve(api, c, m1)
    assert at(0) == EXPECTED[("approved", None)]
    # Each offered action is accepted by the server, and one not offered is refused.
    second = {role: lists[1] for role, lists in _actions(api, people, jid).items()}
    assert second == EXPECTED[("planned", None)]
    assert api.call("POST", f"/milestones/{m2}/approve", c, {}, headers=key()).status_code == 409
    assert api.call("POST", f"/milestones/{m2}/submit", people["viewer"], {"note": "x"}).status_code == 403
    api.ok("POST", f"/milestones/{m2}/cancel", c, {})
    assert _actions(api, people, jid)["freelancer"][1] == ["submit", "cancel"]  # agreeing is still "cancel"
    api.ok("POST", f"/milestones/{m2}/cancel", f, {})
    assert {role: lists[1] for role, lists in _actions(api, people, jid).items()} == EXPECTED[("cancelled", None)]


def _login(app, who):
    web = app.test_client()
    page = web.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = web.post("/login", data={"csrf_token": token, "email": who["email"], "password": "correct horse battery"})
    assert response.status_code == 302
    page = web.get("/jobs").get_data(as_text=True)  # the session (and its CSRF token) is new after log-in
    return web, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.mark.parametrize(("currency", "typed", "minor"), [
    ("HUF", "250", 25000), ("HUF", "1,000.50", 100050), ("JPY", "250", 250), ("JPY", "1,000", 1000),
    ("KWD", "1.5", 1500), ("IQD", "0.250", 250), ("IQD", "250", 250000), ("EUR", "12.3", 1230),
])
def test_the_agreement_form_sends_major_units_the_server_parses(app, api, people, job, currency, typed, minor):
    web, token = _login(app, people["freelancer"])
    page = web.get(f"/jobs/{job['id']}/agreement/propose").get_data(as_text=True)
    zero = {"HUF": "0.00", "JPY": "0", "KWD": "0.000", "IQD": "0.000", "EUR": "0.00"}[currency]
    assert f'value="{currency}" data-zero="{zero}"' in page  # the preview's exponent, from the server
    due = (date.today() + timedelta(days=20)).isoformat()
    response = web.post(f"/jobs/{job['id']}/agreement/propose", data={
        "csrf_token": token, "scope": "Work", "deadline": due, "currency": currency,
        "m-0-title": "First", "m-0-amount": typed, "m-0-due": due, "m-0-criteria": "", "m-0-revisions": "1",
        "m-1-title": "Second", "m-1-amount": typed, "m-1-due": due, "m-1-criteria": "", "m-1-revisions": "1",
        "upfront_kind": "portion", "upfront_amount": typed, "update_every_hours": "24", "auto_approve_days": "7",
    })
    assert response.status_code == 302, re.findall(r'class="(?:field-error|alert)"[^>]*>([^<]+)', response.get_data(as_text=True))
    proposed = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["pending_agreement"]
    assert [m["amount"] for m in proposed["terms"]["milestones"]] == [minor, minor]
    assert proposed["display"]["total"].replace(",", "").startswith(str(2 * minor // 10 ** proposed["exponent"]))
    assert proposed["terms"]["upfront"]["amount"] == minor


def test_the_terms_form_offers_what_people_pay_in(app, api, people, job):
    """Fund codes (units of account such as CLF) are not offered, unless the terms already use one."""
    from tests.support import terms

    web, _token = _login(app, people["freelancer"])
    page = web.get(f"/jobs/{job['id']}/agreement/propose").get_data(as_text=True)
    assert 'value="EUR"' in page and 'value="JPY"' in page and 'value="CLF"' not in page and 'value="USN"' not in page
    api.ok("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
           terms(currency="CLF", upfront={"kind": "none"}), status=201)
    page = web.get(f"/jobs/{job['id']}/agreement/propose").get_data(as_text=True)
    assert re.search(r'value="CLF" data-zero="[^"]+" selected', page) and 'value="USN"' not in page


@pytest.mark.parametrize(("currency", "typed"), [("JPY", "1.5"), ("HUF", "1.505"), ("KWD", "1.0005")])
def test_more_decimals_than_the_currency_has_are_refused(app, people, job, currency, typed):
    web, token = _login(app, people["freelancer"])
    due = (date.today() + timedelta(days=20)).isoformat()
    response = web.post(f"/jobs/{job['id']}/agreement/propose", data={
        "csrf_token": token, "scope": "Work", "deadline": due, "currency": currency,
        "m-0-title": "Only", "m-0-amount": typed, "m-0-due": due, "m-0-criteria": "", "m-0-revisions": "1",
        "upfront_kind": "none", "upfront_amount": "", "update_every_hours": "24", "auto_approve_days": "7",
    })
    assert response.status_code == 422
    assert "decimal" in response.get_data(as_text=True)


def test_money_js_takes_no_decimals_from_intl():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "workspace"
    scripts = {p.name: p.read_text() for p in (root / "static" / "js").glob("*.js")}
    for name, text in scripts.items():
        assert "Intl.NumberFormat" not in text and "maximumFractionDigits" not in text, name
    assert "toLocaleString" not in scripts["money.js"]  # grouping is written out, like format_money
    for template in (root / "templates").rglob("*.html"):
        assert "Intl.NumberFormat" not in template.read_text(), template


def test_the_upfront_request_event_carries_the_servers_display(api, people, job):
    from tests.money_support import activate
    from tests.support import terms

    state = activate(api, people, job, terms(currency="IQD", upfront={"kind": "portion", "amount": 10000}))
    event = next(e for e in api.events(people["client"], state["id"])["events"] if e["type"] == "upfront.requested")
    assert event["data"]["amount"] == 10000 and event["data"]["exponent"] == 3
    assert event["data"]["display"]["amount"] == "10.000 IQD"
