"""Milestones and money through the API: submit, review, approve, pay, confirm, receipts, completion."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.money_support import activate, approve, balances, confirm, key, pay, submit
from tests.support import terms


@pytest.fixture
def active(api, people, job):
    state = activate(api, people, job)
    return state, [m["id"] for m in state["milestones"]]


def test_in_force_requests_the_upfront_amount(api, people, active):
    state, _ids = active
    b = state["balances"]
    assert (b["agreed"], b["upfront_requested"], b["owed"], b["paid"], b["credit"]) == (50000, 10000, 10000, 0, 0)


def test_submit_approve_and_pay_a_milestone(api, people, active):
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    submitted = submit(api, f, m1, "Two concepts attached").get_json()["milestone"]
    assert submitted["state"] == "submitted" and submitted["submission"]["note"] == "Two concepts attached"
    assert submitted["review_due_at"]
    approved = approve(api, c, m1)
    assert approved.status_code == 200
    # Upfront money requested is used first: 30000 earned, the 10000 request already owed, 20000 more owed.
    assert approved.get_json()["balances"]["owed"] == 30000
    payment = pay(api, c, state["id"], 30000).get_json()["payment"]
    assert payment["status"] == "sent"
    assert balances(api, f, state["id"])["paid"] == 0  # not until the freelancer confirms
    confirmed = confirm(api, f, payment["id"]).get_json()
    assert confirmed["payment"]["status"] == "confirmed" and confirmed["balances"]["owed"] == 0
    job_now = api.ok("GET", f"/jobs/{state['id']}", c)["job"]
    assert [m["state"] for m in job_now["milestones"]] == ["paid", "planned"]
    assert job_now["balances"]["paid"] == 30000 and job_now["balances"]["credit"] == 0


def test_upfront_paid_is_credit_applied_in_order(api, people, active):
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    confirm(api, f, pay(api, c, state["id"], 10000).get_json()["payment"]["id"])
    assert balances(api, f, state["id"])["credit"] == 10000
    submit(api, f, m1)
    b = approve(api, c, m1).get_json()["balances"]
    assert (b["owed"], b["credit"], b["upfront_paid"]) == (20000, 0, 10000)


def test_partial_payments_are_shown_and_overpayment_refused(api, people, active):
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    submit(api, f, m1)
    approve(api, c, m1)  # owed 30000
    first = pay(api, c, state["id"], 12000).get_json()["payment"]
    too_much = pay(api, c, state["id"], 18001)
    assert too_much.status_code == 422 and too_much.get_json()["error"]["code"] == "overpayment"
    assert "180.00 EUR can be paid now" in too_much.get_json()["error"]["message"]
    second = pay(api, c, state["id"], 18000).get_json()["payment"]
    confirm(api, f, first["id"])
    mid = api.ok("GET", f"/jobs/{state['id']}", c)["job"]
    assert mid["balances"]["owed"] == 18000 and mid["milestones"][0]["state"] == "approved"
    confirm(api, f, second["id"])
    assert api.ok("GET", f"/jobs/{state['id']}", c)["job"]["milestones"][0]["state"] == "paid"


def test_dispute_posts_nothing(api, people, active):
    state, _ids = active
    payment = pay(api, people["client"], state["id"], 5000).get_json()["payment"]
    disputed = api.ok("POST", f"/payments/{payment['id']}/dispute", people["freelancer"], {"reason": "Not in my account"})
    assert disputed["payment"]["status"] == "disputed" and disputed["balances"]["paid"] == 0
    assert api.ok("GET", f"/jobs/{state['id']}/payments", people["freelancer"])["payments"][0]["status"] == "disputed"
    again = api.call("POST", f"/payments/{payment['id']}/dispute", people["freelancer"], {"reason": "Still nothing"})
    assert again.status_code == 409 and "already disputed" in again.get_json()["error"]["message"]


def test_a_payment_marked_not_received_can_be_confirmed_when_it_arrives(api, people, active):
    state, _ids = active
    f, c = people["freelancer"], people["client"]
    payment = pay(api, c, state["id"], 5000).get_json()["payment"]
    api.ok("POST", f"/payments/{payment['id']}/dispute", f, {"reason": "Not in my account yet"})
    assert api.ok("GET", f"/jobs/{state['id']}", f)["job"]["payments"][0]["actions"] == ["confirm"]
    assert confirm(api, c, payment["id"]).status_code == 403  # still only the freelancer
    headers = key()
    late = confirm(api, f, payment["id"], headers).get_json()
    assert late["payment"]["status"] == "confirmed" and late["balances"]["paid"] == 5000
    assert late["payment"]["dispute_reason"] == "Not in my account yet"  # the history stays
    assert confirm(api, f, payment["id"], headers).get_json() == late  # a retry changes nothing
    assert balances(api, f, state["id"])["paid"] == 5000


def test_a_late_confirmation_never_takes_more_than_is_owed(api, people, active):
    """The client sent the upfront again after it was marked not received; then the first one arrived too."""
    state, _ids = active
    f, c = people["freelancer"], people["client"]
    first = pay(api, c, state["id"], 10000).get_json()["payment"]
    api.ok("POST", f"/payments/{first['id']}/dispute", f, {"reason": "Nothing yet"})
    second = pay(api, c, state["id"], 10000).get_json()["payment"]
    confirm(api, f, second["id"])
    refused = confirm(api, f, first["id"])
    body = refused.get_json()["error"]
    assert refused.status_code == 409 and body["code"] == "overpayment"
    assert "more than is owed now (0.00 EUR)" in body["message"] and "leave this one marked not received" in body["message"]
    b = balances(api, f, state["id"])
    assert (b["paid"], b["owed"]) == (10000, 0)
    assert api.ok("GET", f"/jobs/{state['id']}/payments", f)["payments"][0]["status"] == "disputed"


def test_money_actions_need_an_idempotency_key(api, people, active):
    state, (m1, _m2) = active
    submit(api, people["freelancer"], m1)
    response = approve(api, people["client"], m1, headers={})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "idempotency_key_required"
    assert pay(api, people["client"], state["id"], 100, headers={}).status_code == 400


def test_a_repeated_key_returns_the_first_result_and_posts_nothing(api, people, active):
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    submit(api, f, m1)
    headers = key()
    first = approve(api, c, m1, headers)
    ledger_before = api.ok("GET", f"/jobs/{state['id']}/ledger", f)
    events_before = api.events(f, state["id"])["last_seq"]
    again = approve(api, c, m1, headers)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert api.ok("GET", f"/jobs/{state['id']}/ledger", f) == ledger_before
    assert api.events(f, state["id"])["last_seq"] == events_before
    other_key = approve(api, c, m1)
    assert other_key.status_code == 409 and "approved" in other_key.get_json()["error"]["message"]
    reused = pay(api, c, state["id"], 100, headers)
    assert reused.status_code == 409 and reused.get_json()["error"]["code"] == "idempotency_key_reused"
    pay_headers = key()
    one = pay(api, c, state["id"], 100, pay_headers)
    two = pay(api, c, state["id"], 100, pay_headers)
    assert one.status_code == two.status_code == 201 and one.get_json() == two.get_json()
    assert len(api.ok("GET", f"/jobs/{state['id']}/payments", c)["payments"]) == 1


def test_illegal_transitions_are_409_naming_the_state_and_wrong_roles_403(api, people, active):
    state, (m1, _m2) = active
    f, c, v = people["freelancer"], people["client"], people["viewer"]
    early = approve(api, c, m1)
    assert early.status_code == 409 and "planned" in early.get_json()["error"]["message"]
    assert submit(api, c, m1).status_code == 403
    assert submit(api, v, m1).status_code == 403
    assert submit(api, people["outsider"], m1).status_code == 404
    submit(api, f, m1)
    assert approve(api, f, m1).status_code == 403
    assert approve(api, v, m1).status_code == 403
    assert submit(api, f, m1).status_code == 409
    assert api.call("POST", f"/milestones/{m1}/request-changes", f, {"reason": "x"}).status_code == 403
    assert api.call("POST", "/payments/999999/confirm", f, {}, headers=key()).status_code == 404


def test_change_requests_count_revisions_and_offer_a_change_order(api, people, active):
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    labels = []
    for n in range(3):
        submit(api, f, m1, f"take {n}")
        r = api.ok("POST", f"/milestones/{m1}/request-changes", c, {"reason": f"Fix {n}", "criteria": [0]})
        labels.append(r["milestone"]["submission"]["revision"])
        assert r["beyond_included"] is (n == 2)
    events = [e for e in api.events(f, state["id"])["events"] if e["type"] == "milestone.changes_requested"]
    assert [e["data"]["revision_label"] for e in events] == [
        "revision 1 of 2", "revision 2 of 2", "revision 3 (beyond the 2 included)"]
    assert events[0]["data"]["criteria"] == ["Two directions"]
    assert labels == [1, 2, 3]
    bad = api.call("POST", f"/milestones/{m1}/request-changes", c, {"reason": "x", "criteria": [7]})
    assert bad.status_code == 409  # not submitted now; state is checked first
    order = api.ok("POST", f"/milestones/{m1}/change-order", f, {"amount": 7500}, status=201)["agreement"]
    assert order["version"] == 2 and order["terms"]["milestones"][-1]["amount"] == 7500
    assert "Extra work" in order["terms"]["milestones"][-1]["title"]
    api.accept(c, state["id"], 2)
    after = api.ok("GET", f"/jobs/{state['id']}", c)["job"]
    assert after["balances"]["agreed"] == 57500 and len(after["milestones"]) == 3
    assert after["milestones"][0]["state"] == "changes_requested"  # past planned: untouched by the new version


def test_out_of_scope_request_does_not_use_a_revision(api, people, active):
    state, (m1, _m2) = active
    submit(api, people["freelancer"], m1)
    r = api.ok("POST", f"/milestones/{m1}/request-changes", people["client"], {"reason": "Add a mascot", "out_of_scope": True})
    assert r["beyond_included"] is True and r["milestone"]["revisions_used"] == 0
    assert api.call("POST", f"/milestones/{m1}/change-order", people["freelancer"], {"amount": 0}).status_code == 422


def test_change_order_needs_a_beyond_scope_request(api, people, active):
    state, (m1, _m2) = active
    assert api.call("POST", f"/milestones/{m1}/change-order", people["freelancer"], {"amount": 100}).status_code == 409


def test_request_changes_needs_a_reason_and_valid_criteria(api, people, active):
    state, (m1, _m2) = active
    submit(api, people["freelancer"], m1)
    for body in ({"reason": ""}, {"reason": "x", "criteria": [5]}, {"reason": "x", "criteria": "0"},
                 {"reason": "x", "out_of_scope": "yes"}):
        assert api.call("POST", f"/milestones/{m1}/request-changes", people["client"], body).status_code == 422, body


def test_auto_approval_when_the_window_runs_out(app, api, people, active):
    """The scheduler warns the client 48 h before the window ends; silence after that approves."""
    state, (m1, _m2) = active
    submit(api, people["freelancer"], m1)
    from workspace import tasks
    from workspace.db import utcnow
    from workspace.services import notifications
    from workspace.extensions import db
    from workspace.models import User

    with app.app_context():
        tasks.run_once(app, utcnow() + timedelta(days=5, hours=1))  # the 48-hour warning
        client = db.session.get(User, people["client"]["id"])
        warning = notifications.list_notifications(client, unread=1)["notifications"][0]
        assert "approved automatically" in warning["title"]
        notifications.mark_read(client, [warning["id"]])  # seen in the app: the client was told
        tasks.run_once(app, utcnow() + timedelta(days=7, hours=2))
        db.session.remove()
    job_now = api.ok("GET", f"/jobs/{state['id']}", people["viewer"])["job"]
    assert job_now["milestones"][0]["state"] == "approved" and job_now["milestones"][0]["auto_approved"] is True
    auto = [e for e in api.events(people["client"], state["id"])["events"] if e["type"] == "milestone.approved"]
    assert len(auto) == 1 and auto[0]["data"]["auto"] is True and auto[0]["data"]["days"] == 7
    assert auto[0]["actor"] is None
    assert api.ok("GET", f"/jobs/{state['id']}", people["client"])["job"]["balances"]["owed"] == 30000


def test_cancel_needs_both_sides(api, people, active):
    state, (_m1, m2) = active
    f, c = people["freelancer"], people["client"]
    first = api.ok("POST", f"/milestones/{m2}/cancel", f, {})["milestone"]
    assert first["state"] == "planned" and first["cancel_requested_by"] == "freelancer"
    assert api.ok("POST", f"/milestones/{m2}/cancel", f, {})["milestone"]["state"] == "planned"
    assert api.call("POST", f"/milestones/{m2}/cancel", people["viewer"], {}).status_code == 403
    done = api.ok("POST", f"/milestones/{m2}/cancel", c, {})["milestone"]
    assert done["state"] == "cancelled"


def test_paying_everything_completes_the_job_and_opens_reviews(app, api, people, active):
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    assert api.call("POST", f"/jobs/{state['id']}/reviews", c, {"rating": 5}).status_code == 409
    for m in (m1, m2):
        submit(api, f, m)
        approve(api, c, m)
    owed = balances(api, f, state["id"])["owed"]
    assert owed == 50000
    confirm(api, f, pay(api, c, state["id"], owed).get_json()["payment"]["id"])
    job_now = api.ok("GET", f"/jobs/{state['id']}", c)["job"]
    assert job_now["status"] == "completed" and {m["state"] for m in job_now["milestones"]} == {"paid"}
    types = [e["type"] for e in api.events(f, state["id"])["events"]]
    assert types[-1] == "job.completed" and types.count("milestone.paid") == 2
    api.ok("POST", f"/jobs/{state['id']}/reviews", c, {"rating": 5, "text": "Superb", "consent_to_name": True}, status=201)
    api.ok("POST", f"/jobs/{state['id']}/reviews", f, {"rating": 4, "text": "Clear briefs"}, status=201)
    assert api.call("POST", f"/jobs/{state['id']}/reviews", c, {"rating": 5}).status_code == 409
    assert api.call("POST", f"/jobs/{state['id']}/reviews", people["viewer"], {"rating": 5}).status_code == 403
    assert api.call("POST", f"/jobs/{state['id']}/reviews", f, {"rating": 6}).status_code == 422
    profile = api.ok("GET", f"/profiles/{profile_id(api, f)}")
    assert profile["count"] == 1 and profile["reviews"][0]["author"] == "Client" and profile["average"] == 5.0
    assert "id" not in profile["user"]  # a public profile does not give away the account's row id
    # Only people who freelance have a public profile: the client, never a freelancer, has none.
    assert api.ok("GET", "/me", c)["user"]["profile_url"] is None
    # The client stays: the record and the review are theirs too (the freelancer cannot remove them).
    client_id = api.ok("GET", "/me", c)["user"]["id"]
    refused = api.call("DELETE", f"/jobs/{state['id']}/members/{client_id}", f)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "job_completed"
    assert api.ok("GET", f"/profiles/{profile_id(api, f)}")["count"] == 1
    # Nor does the profile hang on the author still being a member (only on who the job's freelancer is).
    from sqlalchemy import delete

    from workspace.extensions import db
    from workspace.models import Membership

    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == client_id))
        db.session.commit()
    assert api.ok("GET", f"/profiles/{profile_id(api, f)}")["reviews"][0]["text"] == "Superb"


def test_a_completed_jobs_terms_no_longer_change(app, api, people, active):
    """A proposal still waiting when the last milestone is paid cannot be accepted, and no new one
    can be made: the job is complete (its page no longer offers either)."""
    from tests.support import terms

    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    job_id = state["id"]
    waiting = api.ok("POST", f"/jobs/{job_id}/agreements", f, terms(scope="More work"), status=201)["agreement"]
    for m in (m1, m2):
        submit(api, f, m)
        approve(api, c, m)
    confirm(api, f, pay(api, c, job_id, balances(api, f, job_id)["owed"]).get_json()["payment"]["id"])
    assert api.ok("GET", f"/jobs/{job_id}", c)["job"]["status"] == "completed"
    before = api.events(f, job_id)["last_seq"]
    late = api.call("POST", f"/jobs/{job_id}/agreements/{waiting['version']}/accept", c,
                    {"terms_hash": waiting["terms_hash"]})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "job_completed"
    again = api.call("POST", f"/jobs/{job_id}/agreements", f, terms(scope="Even more work"))
    assert again.status_code == 409 and "start a new job" in again.get_json()["error"]["message"]
    assert api.events(f, job_id)["last_seq"] == before
    assert api.ok("GET", f"/jobs/{job_id}", c)["job"]["agreement"]["version"] == 1
    # Nor is there work left to share live.
    from workspace.domain.errors import Conflict
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import live

    with app.app_context():
        with pytest.raises(Conflict) as refused:
            live.start_session(db.session.get(User, f["id"]), job_id, "sid-late", "One more look")
        assert refused.value.code == "job_completed"
        db.session.remove()
    assert api.events(f, job_id)["last_seq"] == before


def test_unnamed_review_stays_anonymous(api, people, active):
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    for m in (m1, m2):
        submit(api, f, m)
        approve(api, c, m)
    confirm(api, f, pay(api, c, state["id"], 50000).get_json()["payment"]["id"])
    api.ok("POST", f"/jobs/{state['id']}/reviews", c, {"rating": 3, "text": "ok"}, status=201)
    review = api.ok("GET", f"/profiles/{profile_id(api, f)}")["reviews"][0]
    assert review["author"] is None and review["job"] is None


def test_ledger_transactions_balance_and_balances_recompute(api, people, active):
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    submit(api, f, m1)
    approve(api, c, m1)
    confirm(api, f, pay(api, c, state["id"], 25000).get_json()["payment"]["id"])
    ledger = api.ok("GET", f"/jobs/{state['id']}/ledger", c)
    assert [t["kind"] for t in ledger["transactions"]] == ["agreement.in_force", "milestone.approved", "payment.confirmed"]
    for t in ledger["transactions"]:
        assert sum(e["amount"] for e in t["entries"]) == 0
        assert all(isinstance(e["amount"], int) for e in t["entries"])
    totals: dict[str, int] = {}
    for t in ledger["transactions"]:
        for e in t["entries"]:
            totals[e["account"]] = totals.get(e["account"], 0) + e["amount"]
    b = ledger["balances"]
    assert b["owed"] == totals["client"] == 5000 and b["paid"] == totals["cash"] == 25000
    assert b["approved"] == -totals["earned"] == 30000 and b["agreed"] == -totals["contract"] == 50000


def test_receipt_and_statement_pdfs_for_members_only(api, people, active):
    from pypdf import PdfReader

    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    submit(api, f, m1)
    approve(api, c, m1)
    payment = pay(api, c, state["id"], 30000).get_json()["payment"]
    assert api.call("GET", f"/payments/{payment['id']}/receipt.pdf", c).status_code == 409  # not confirmed yet
    receipt = confirm(api, f, payment["id"]).get_json()["payment"]["receipt_url"]
    response = api.client.get(receipt, headers={"Authorization": f"Bearer {c['token']}"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "300.00 EUR" in text and "Payment receipt" in text and "INV-1" in text
    statement = api.call("GET", f"/jobs/{state['id']}/statement.pdf", people["viewer"])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(statement.data)).pages)
    assert "Concepts" in text and "500.00 EUR" in text
    assert api.call("GET", f"/payments/{payment['id']}/receipt.pdf", people["outsider"]).status_code == 404
    assert api.call("GET", f"/jobs/{state['id']}/statement.pdf", people["outsider"]).status_code == 404


def test_payments_are_for_clients_and_need_terms(api, people, job):
    assert api.call("POST", f"/jobs/{job['id']}/payments", people["client"],
                    {"amount": 100, "method": "paypal"}, headers=key()).status_code == 409
    activate(api, people, job)
    for who, status in (("freelancer", 403), ("viewer", 403), ("outsider", 404)):
        assert pay(api, people[who], job["id"], 100).status_code == status
    for body in ({"amount": 0, "method": "paypal"}, {"amount": 100, "method": "gold"}, {"amount": 1.5, "method": "paypal"},
                 {"amount": "100", "method": "paypal"}, {"amount": 100, "method": "paypal", "reference": "r" * 201}):
        assert api.call("POST", f"/jobs/{job['id']}/payments", people["client"], body, headers=key()).status_code == 422


def test_currency_cannot_change_once_in_force(api, people, active):
    state, _ids = active
    response = api.call("POST", f"/jobs/{state['id']}/agreements", people["freelancer"], terms(currency="USD"))
    assert response.status_code == 422 and "currency" in response.get_json()["error"]["fields"]


def test_submission_with_files(api, people, active):
    from tests.test_room_services import _png, upload

    state, (m1, _m2) = active
    attachment = upload(api, people["freelancer"], {"id": state["id"]}, _png()).get_json()["attachment"]
    done = api.ok("POST", f"/milestones/{m1}/submit", people["freelancer"], {"note": "See file", "attachments": [attachment["id"]]})
    assert done["milestone"]["submission"]["attachments"][0]["id"] == attachment["id"]


def test_a_submission_needs_a_note_or_a_file(api, people, active):
    from tests.test_room_services import _png, upload

    state, (m1, m2) = active
    f = people["freelancer"]
    for body in ({}, {"note": ""}, {"note": "   \n"}, {"note": None, "attachments": None}, {"attachments": []}):
        refused = api.call("POST", f"/milestones/{m1}/submit", f, body)
        assert refused.status_code == 422, body
        assert refused.get_json()["error"]["fields"] == {
            "note": "Add a note or a file so the client knows what to review."}
    assert api.ok("GET", f"/jobs/{state['id']}", f)["job"]["milestones"][0]["state"] == "planned"
    assert api.ok("POST", f"/milestones/{m1}/submit", f, {"note": "Two concepts"})["milestone"]["state"] == "submitted"
    shot = upload(api, f, {"id": state["id"]}, _png()).get_json()["attachment"]
    done = api.ok("POST", f"/milestones/{m2}/submit", f, {"attachments": [shot["id"]]})["milestone"]
    assert done["state"] == "submitted" and done["submission"]["note"] == ""
    assert done["submission"]["attachments"][0]["url"] == f"/files/{shot['id']}"


def test_public_profile_page(client, api, people, active):
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    url = api.ok("GET", "/me", f)["user"]["profile_url"]
    assert "No reviews yet" in client.get(url).get_data(as_text=True)
    for m in (m1, m2):
        submit(api, f, m)
        approve(api, c, m)
    confirm(api, f, pay(api, c, state["id"], 50000).get_json()["payment"]["id"])
    api.ok("POST", f"/jobs/{state['id']}/reviews", c, {"rating": 4, "text": "<b>Great</b> work", "consent_to_name": True},
           status=201)
    page = client.get(url).get_data(as_text=True)
    assert "&lt;b&gt;Great&lt;/b&gt; work" in page and "— Client" in page and "4.0" in page
    # Profiles cannot be listed by counting: row ids name no profile, and only a real id finds one.
    for guess in (f["id"], c["id"], 1, 2, "999999", "AAAAAAAAAAAAAAAA", "a" * 200, "%00", "..%2f"):
        assert client.get(f"/people/{guess}").status_code == 404
        assert api.call("GET", f"/profiles/{guess}").status_code == 404


def test_a_crash_in_the_middle_of_an_approval_writes_nothing(app, api, people, active, monkeypatch):
    """Fault injection: the approval dies after its state change, posting and event were written
    (inside the transaction); everything rolls back and nothing is published."""
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    submit(api, f, m1)
    before_ledger = api.ok("GET", f"/jobs/{state['id']}/ledger", f)
    before_seq = api.events(f, state["id"])["last_seq"]
    from workspace.services import deliveries

    def crash(tx, job):
        raise RuntimeError("power cut")

    monkeypatch.setattr(deliveries, "settle", crash)
    headers = key()
    response = approve(api, c, m1, headers)
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal"
    assert api.ok("GET", f"/jobs/{state['id']}/ledger", f) == before_ledger
    assert api.events(f, state["id"])["last_seq"] == before_seq
    assert api.ok("GET", f"/jobs/{state['id']}", c)["job"]["milestones"][0]["state"] == "submitted"
    monkeypatch.undo()
    assert approve(api, c, m1, headers).status_code == 200  # the same key works: nothing was kept of the crash


def profile_id(api, person) -> str:
    """A freelancer's public profile id, as their own account view gives it."""
    return api.ok("GET", "/me", person)["user"]["profile_url"].rsplit("/", 1)[1]


def test_a_completed_job_takes_no_new_clients(api, people, active):
    """Nothing is left to approve or pay: a client link is refused (a viewer's still works)."""
    state, (m1, m2) = active
    f, c = people["freelancer"], people["client"]
    for m in (m1, m2):
        submit(api, f, m)
        approve(api, c, m)
    confirm(api, f, pay(api, c, state["id"], balances(api, f, state["id"])["owed"]).get_json()["payment"]["id"])
    for who in (f, c):
        refused = api.call("POST", f"/jobs/{state['id']}/invites", who, {"role": "client"})
        assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "job_completed"
    api.ok("POST", f"/jobs/{state['id']}/invites", f, {"role": "viewer"}, status=201)
