"""Disputes over a milestone: the state table, freezing, resolutions on the ledger, mediators."""
from __future__ import annotations

import itertools
import threading
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.money_support import activate, approve, balances, confirm, key, pay, submit
from tests.support import ApiActions, log_in, terms
from workspace.domain import disputes as rules
from workspace.domain.errors import Conflict, Forbidden
from workspace.domain.milestones import APPROVED, CANCELLED, CHANGES_REQUESTED, PAID, PLANNED, SUBMITTED
from workspace.domain.roles import CLIENT, FREELANCER, MEDIATOR, PENDING_CLIENT, VIEWER


# ------------------------------------------------------------------ the rules, exhaustively

ROLES = (FREELANCER, CLIENT, VIEWER, PENDING_CLIENT, MEDIATOR)
MILESTONE_STATES = (PLANNED, SUBMITTED, CHANGES_REQUESTED, APPROVED, PAID, CANCELLED)

# An independent statement of the table: who may do what, in which dispute state.
MAY = {
    "open": {FREELANCER, CLIENT},
    "propose": {FREELANCER, CLIENT, MEDIATOR},
    "accept": {FREELANCER, CLIENT},
    "withdraw": {FREELANCER, CLIENT},
}


@pytest.mark.parametrize("role,state", list(itertools.product(ROLES, MILESTONE_STATES)))
def test_who_may_open_on_which_milestone(role: str, state: str) -> None:
    allowed = role in MAY["open"] and state in (SUBMITTED, CHANGES_REQUESTED, APPROVED)
    if allowed:
        rules.check_open(role, state)
        return
    with pytest.raises(Forbidden if role not in MAY["open"] else Conflict):
        rules.check_open(role, state)


@pytest.mark.parametrize("action,role,state", list(itertools.product(("propose", "accept", "withdraw"), ROLES,
                                                                      rules.STATES)))
def test_every_action_in_every_dispute_state(action: str, role: str, state: str) -> None:
    if role not in MAY[action]:
        with pytest.raises(Forbidden):
            rules.check(action, role, state)
    elif state != rules.OPEN:
        with pytest.raises(Conflict):
            rules.check(action, role, state)
    else:
        rules.check(action, role, state)


def test_whose_acceptance_a_proposal_needs() -> None:
    assert rules.accepting_sides(FREELANCER, False) == {CLIENT}
    assert rules.accepting_sides(CLIENT, True) == {FREELANCER}
    assert rules.accepting_sides(MEDIATOR, False) == {FREELANCER, CLIENT}
    assert rules.accepting_sides(MEDIATOR, True) == frozenset()
    with pytest.raises(Forbidden):
        rules.check_accept(CLIENT, rules.OPEN, CLIENT, frozenset({FREELANCER}), set())
    with pytest.raises(Conflict):
        rules.check_accept(FREELANCER, rules.OPEN, MEDIATOR, frozenset({FREELANCER, CLIENT}), {FREELANCER})
    with pytest.raises(Forbidden):
        rules.check_withdraw(FREELANCER, rules.OPEN, CLIENT)


@pytest.mark.parametrize("state", (SUBMITTED, CHANGES_REQUESTED, APPROVED))
@pytest.mark.parametrize("awarded", (0, 1, 12_345, 30_000))
@pytest.mark.parametrize("deposits_left", (0, 10_000, 40_000))
def test_every_resolution_posting_balances_and_moves_the_agreed_total(state: str, awarded: int,
                                                                      deposits_left: int) -> None:
    entries = rules.amount_entries(30_000, awarded, state, deposits_left)
    assert sum(n for _a, n in entries) == 0
    moved = dict.fromkeys(("contract", "earned", "client", "deposits"), 0)
    for account, amount in entries:
        moved[account] = moved.get(account, 0) + amount
    assert moved["contract"] == 30_000 - awarded  # the unawarded part leaves the agreed total
    if state == APPROVED:  # the part not awarded is taken back from what was earned
        assert -moved["earned"] == -(30_000 - awarded)
    else:  # the awarded part is earned now
        assert -moved["earned"] == awarded


# ------------------------------------------------------------------ through the API, on both databases

def _open(api: ApiActions, who: dict[str, Any], milestone_id: int, reason: str = "The logo is not vector",
          headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/milestones/{milestone_id}/disputes", who, {"reason": reason},
                    headers=headers if headers is not None else key())


def _propose(api: ApiActions, who: dict[str, Any], dispute_id: int, body: dict[str, Any]) -> Any:
    return api.call("POST", f"/disputes/{dispute_id}/proposals", who, body, headers=key())


def _accept(api: ApiActions, who: dict[str, Any], proposal_id: int, headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/dispute-proposals/{proposal_id}/accept", who, {},
                    headers=headers if headers is not None else key())


def _withdraw(api: ApiActions, who: dict[str, Any], dispute_id: int) -> Any:
    return api.call("POST", f"/disputes/{dispute_id}/withdraw", who, {}, headers=key())


def _milestone(api: ApiActions, who: dict[str, Any], job_id: str, milestone_id: int) -> dict[str, Any]:
    job = api.ok("GET", f"/jobs/{job_id}", who)["job"]
    return next(m for m in job["milestones"] if m["id"] == milestone_id)


@pytest.fixture
def submitted(api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """An active job (30,000 + 20,000 EUR cents, 10,000 up front) whose first milestone is submitted."""
    state = activate(api, people, job)
    first = state["milestones"][0]["id"]
    assert submit(api, people["freelancer"], first).status_code == 200
    return {"job_id": job["id"], "milestone_id": first, "second_id": state["milestones"][1]["id"]}


def test_opening_freezes_the_milestone_and_tells_the_other_side(api: ApiActions, people: dict[str, Any],
                                                                submitted: dict[str, Any]) -> None:
    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    assert _open(api, people["viewer"], mid).status_code == 403
    assert _open(api, people["outsider"], mid).status_code == 404
    assert _open(api, people["client"], submitted["second_id"]).status_code == 409  # planned: nothing to dispute
    same = key()
    opened = _open(api, people["client"], mid, headers=same)
    assert opened.status_code == 201, opened.get_json()
    dispute = opened.get_json()["dispute"]
    assert dispute["state"] == "open" and dispute["opened_by_role"] == CLIENT
    assert _open(api, people["client"], mid, headers=same).get_json()["dispute"]["id"] == dispute["id"]  # a retry
    assert _open(api, people["freelancer"], mid).status_code == 409  # one open dispute per milestone

    for path in ("approve", "cancel"):
        refused = api.call("POST", f"/milestones/{mid}/{path}", people["client"], {}, headers=key())
        assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "disputed"
    refused = api.call("POST", f"/milestones/{mid}/request-changes", people["client"], {"reason": "Colours"})
    assert refused.status_code == 409
    assert api.ok("GET", f"/jobs/{job_id}/disputes", people["viewer"])["disputes"][0]["id"] == dispute["id"]

    told = api.ok("GET", "/notifications", people["freelancer"])["notifications"]
    assert any("disputed" in n["title"] for n in told)
    assert not any("disputed" in n["title"] for n in api.ok("GET", "/notifications", people["client"])["notifications"])
    types = [e["type"] for e in api.ok("GET", f"/jobs/{job_id}/events", people["viewer"])["events"]]
    assert types[-1] == "dispute.opened"


def test_an_accepted_amount_approves_part_and_cancels_the_rest(api: ApiActions, people: dict[str, Any],
                                                               submitted: dict[str, Any]) -> None:
    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    before = balances(api, people["client"], job_id)
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    assert _propose(api, people["viewer"], dispute["id"], {"kind": "amount", "amount": 1}).status_code == 403
    too_much = _propose(api, people["freelancer"], dispute["id"], {"kind": "amount", "amount": 30_001})
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["error"]["fields"]
    first = _propose(api, people["freelancer"], dispute["id"], {"kind": "amount", "amount": 25_000})
    assert first.status_code == 201
    second = _propose(api, people["client"], dispute["id"], {"kind": "amount", "amount": 20_000, "note": "Fair"})
    proposals = second.get_json()["dispute"]["proposals"]
    assert [p["state"] for p in proposals] == ["superseded", "pending"]
    assert _accept(api, people["freelancer"], proposals[0]["id"]).status_code == 409  # superseded
    assert _accept(api, people["client"], proposals[1]["id"]).status_code == 403  # your own proposal
    same = key()
    accepted = _accept(api, people["freelancer"], proposals[1]["id"], headers=same)
    assert accepted.status_code == 200, accepted.get_json()
    assert _accept(api, people["freelancer"], proposals[1]["id"], headers=same).get_json() == accepted.get_json()
    body = accepted.get_json()
    assert body["dispute"]["state"] == "resolved"
    after = balances(api, people["client"], job_id)
    assert after["agreed"] == before["agreed"] - 10_000
    assert after["approved"] == before["approved"] + 20_000
    # 10,000 came up front as deposits: they are used first, the rest is owed.
    assert after["owed"] == before["owed"] + 20_000 - min(20_000, before["deposits_left"])
    milestone = _milestone(api, people["client"], job_id, mid)
    assert milestone["state"] == APPROVED and milestone["amount"] == 20_000
    assert approve(api, people["client"], mid).status_code == 409  # unfrozen, but already approved
    # The settlement is final: neither side is offered, or allowed, a second dispute over it.
    assert "dispute" not in milestone["actions"]
    again = _open(api, people["client"], mid, reason="Changed my mind")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "settled"
    ledger = api.ok("GET", f"/jobs/{job_id}/ledger", people["client"])
    for transaction in ledger["transactions"]:
        assert sum(e["amount"] for e in transaction["entries"]) == 0
    # The agreement page keeps the terms as signed and says what the settlement changed since.
    log_in(api.client, people["viewer"])
    page = api.client.get(f"/jobs/{job_id}/agreement").get_data(as_text=True)
    assert "Settled since" in page and "200.00 EUR to the freelancer" in page and "Fair" in page
    # The statement lists the dispute, and the invoice the settlement made.
    from io import BytesIO

    from pypdf import PdfReader

    statement = api.call("GET", f"/jobs/{job_id}/statement.pdf", people["viewer"])
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(statement.data)).pages).split())
    assert "Disputes" in text and "Concepts client resolved 200.00 EUR to the freelancer" in text
    assert "Invoices and credit notes" in text and "INV-0002" in text


def test_nothing_awarded_cancels_the_milestone(api: ApiActions, people: dict[str, Any],
                                               submitted: dict[str, Any]) -> None:
    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    before = balances(api, people["client"], job_id)
    dispute = _open(api, people["freelancer"], mid).get_json()["dispute"]
    proposal = _propose(api, people["client"], dispute["id"], {"kind": "amount", "amount": 0}).get_json()
    assert _accept(api, people["freelancer"], proposal["dispute"]["proposals"][0]["id"]).status_code == 200
    assert _milestone(api, people["client"], job_id, mid)["state"] == CANCELLED
    after = balances(api, people["client"], job_id)
    assert after["agreed"] == before["agreed"] - 30_000 and after["approved"] == before["approved"]


def test_a_revision_resolution_reopens_the_work_with_a_new_date(api: ApiActions, people: dict[str, Any],
                                                                submitted: dict[str, Any]) -> None:
    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    assert _milestone(api, people["client"], job_id, mid)["revisions_included"] == 2
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    past = (date.today() - timedelta(days=1)).isoformat()
    late = (date.today() + timedelta(days=31)).isoformat()
    assert "due" in _propose(api, people["client"], dispute["id"], {"kind": "revision", "due": past}
                             ).get_json()["error"]["fields"]
    assert "due" in _propose(api, people["client"], dispute["id"], {"kind": "revision", "due": late}
                             ).get_json()["error"]["fields"]
    assert _propose(api, people["client"], dispute["id"], {"kind": "revision"}).status_code == 422
    new_due = (date.today() + timedelta(days=20)).isoformat()
    proposal = _propose(api, people["client"], dispute["id"], {"kind": "revision", "due": new_due}).get_json()
    assert _accept(api, people["freelancer"], proposal["dispute"]["proposals"][0]["id"]).status_code == 200
    after = _milestone(api, people["client"], job_id, mid)
    assert after["state"] == CHANGES_REQUESTED and after["due"] == new_due and after["revisions_included"] == 3
    log_in(api.client, people["client"])
    page = api.client.get(f"/jobs/{job_id}/agreement").get_data(as_text=True)
    assert "Settled since" in page and "with one more revision round" in page
    assert submit(api, people["freelancer"], mid, "Vector version").status_code == 200


def test_withdraw_is_for_the_opener_and_unfreezes(api: ApiActions, people: dict[str, Any],
                                                  submitted: dict[str, Any]) -> None:
    mid = submitted["milestone_id"]
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    assert _withdraw(api, people["freelancer"], dispute["id"]).status_code == 403
    assert _withdraw(api, people["client"], dispute["id"]).get_json()["dispute"]["state"] == "withdrawn"
    assert _withdraw(api, people["client"], dispute["id"]).status_code == 409
    assert approve(api, people["client"], mid).status_code == 200


def test_an_approved_unpaid_milestone_is_not_settled_while_disputed(api: ApiActions, people: dict[str, Any],
                                                                    submitted: dict[str, Any]) -> None:
    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    assert approve(api, people["client"], mid).status_code == 200
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    payment = pay(api, people["client"], job_id, 30_000).get_json()["payment"]
    assert confirm(api, people["freelancer"], payment["id"]).status_code == 200
    assert _milestone(api, people["client"], job_id, mid)["state"] == APPROVED  # not paid while disputed
    revision = _propose(api, people["client"], dispute["id"],
                        {"kind": "revision", "due": (date.today() + timedelta(days=3)).isoformat()})
    assert revision.status_code == 422  # an approved milestone is settled by an amount
    proposal = _propose(api, people["client"], dispute["id"], {"kind": "amount", "amount": 18_000}).get_json()
    accepted = _accept(api, people["freelancer"], proposal["dispute"]["proposals"][0]["id"]).get_json()
    assert accepted["balances"]["approved"] == 18_000
    assert accepted["balances"]["owed"] == 0 and accepted["balances"]["credit"] == 30_000 - 18_000
    assert _milestone(api, people["client"], job_id, mid)["state"] == PAID


def test_a_dispute_stops_auto_approval(app: Any, api: ApiActions, people: dict[str, Any],
                                       submitted: dict[str, Any]) -> None:
    from workspace.tasks import run_once

    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    _open(api, people["client"], mid)
    with app.app_context():
        run_once(app, datetime.now(timezone.utc) + timedelta(days=30))
    assert _milestone(api, people["client"], job_id, mid)["state"] == SUBMITTED


def test_a_mediator_proposes_and_both_sides_accept_unless_binding(api: ApiActions, people: dict[str, Any],
                                                                  job: dict[str, Any]) -> None:
    mediator = api.signup("mediator")
    state = activate(api, people, job)
    mid = state["milestones"][0]["id"]
    submit(api, people["freelancer"], mid)
    invite = api.ok("POST", f"/jobs/{job['id']}/invites", people["client"], {"role": "mediator"}, status=201)["invite"]
    assert api.join(mediator, invite["token"])["role"] == MEDIATOR
    dispute = _open(api, people["freelancer"], mid).get_json()["dispute"]
    assert _open(api, mediator, submitted_id(state, 1)).status_code == 403
    proposal = _propose(api, mediator, dispute["id"], {"kind": "amount", "amount": 15_000}).get_json()
    pid = proposal["dispute"]["proposals"][0]["id"]
    assert proposal["dispute"]["proposals"][0]["needs"] == [CLIENT, FREELANCER]
    assert _accept(api, mediator, pid).status_code == 403
    once = _accept(api, people["client"], pid).get_json()
    assert once["dispute"]["state"] == "open" and once["dispute"]["proposals"][0]["accepted_by"] == [CLIENT]
    assert _accept(api, people["client"], pid).status_code == 409
    assert _accept(api, people["freelancer"], pid).get_json()["dispute"]["state"] == "resolved"
    assert api.call("POST", f"/jobs/{job['id']}/messages", mediator, {"body": "Settled."}).status_code == 201


def submitted_id(state: dict[str, Any], index: int) -> int:
    return state["milestones"][index]["id"]


def _binding_terms_and_a_freelancers_mediator(api: ApiActions, people: dict[str, Any],
                                               job: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """Binding mediation in force, the first milestone submitted, a mediator the freelancer invited:
    the mediator, their user id and the milestone's id."""
    mediator = api.signup("mediator")
    state = activate(api, people, job, terms(mediation_binding=True))
    mid = state["milestones"][0]["id"]
    submit(api, people["freelancer"], mid)
    invite = api.ok("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "mediator"}, status=201)["invite"]
    api.join(mediator, invite["token"])
    return mediator, api.ok("GET", "/me", mediator)["user"]["id"], mid


def test_a_binding_mediators_word_takes_effect_at_once(api: ApiActions, people: dict[str, Any],
                                                      job: dict[str, Any]) -> None:
    """Once both sides agreed to the mediator (the freelancer by inviting them, the client here)."""
    mediator, mediator_id, mid = _binding_terms_and_a_freelancers_mediator(api, people, job)
    agreed = api.ok("POST", f"/jobs/{job['id']}/mediators/{mediator_id}/agree", people["client"])["mediator"]
    assert agreed["agreed_by"] == [CLIENT, FREELANCER]
    view = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["mediators"]
    assert view == [{"user": {"id": mediator_id, "name": "Mediator"}, "agreed_by": [CLIENT, FREELANCER],
                     "binding": True, "actions": []}]
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    decided = _propose(api, mediator, dispute["id"], {"kind": "amount", "amount": 12_000}).get_json()
    assert decided["dispute"]["state"] == "resolved" and decided["milestone"]["amount"] == 12_000


def test_a_mediator_one_side_brought_in_does_not_bind_until_the_other_agrees(
        api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> None:
    """Binding terms, a mediator the freelancer invited (a second account of theirs, say): their word
    alone settles nothing; the client is asked and, until they agree, accepts or not like any proposal."""
    mediator, mediator_id, mid = _binding_terms_and_a_freelancers_mediator(api, people, job)
    seen = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["mediators"][0]
    assert (seen["agreed_by"], seen["binding"], seen["actions"]) == ([FREELANCER], False, ["agree"])
    assert api.ok("GET", f"/jobs/{job['id']}", people["freelancer"])["job"]["mediators"][0]["actions"] == []
    dispute = _open(api, people["freelancer"], mid).get_json()["dispute"]
    proposal = _propose(api, mediator, dispute["id"], {"kind": "amount", "amount": 30_000}).get_json()
    assert proposal["dispute"]["state"] == "open" and proposal["milestone"]["state"] == SUBMITTED
    assert proposal["dispute"]["proposals"][0]["needs"] == [CLIENT, FREELANCER]
    # Who may agree, to whom: not a viewer, not the mediator, not to someone who is no mediator.
    path = f"/jobs/{job['id']}/mediators/{mediator_id}/agree"
    assert api.call("POST", path, people["viewer"]).status_code == 403
    assert api.call("POST", path, mediator).status_code == 403
    assert api.call("POST", path, people["outsider"]).status_code == 404
    client_id = api.ok("GET", "/me", people["client"])["user"]["id"]
    not_one = api.call("POST", f"/jobs/{job['id']}/mediators/{client_id}/agree", people["freelancer"])
    assert not_one.status_code == 409 and not_one.get_json()["error"]["code"] == "not_mediator"
    bad = api.call("POST", path, people["client"], data="notjson", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_json"
    before = api.events(people["client"], job["id"])["last_seq"]
    assert api.ok("POST", path, people["freelancer"])["mediator"]["agreed_by"] == [FREELANCER]  # already: nothing new
    assert api.events(people["client"], job["id"])["last_seq"] == before


def test_bad_input_is_a_clear_4xx(api: ApiActions, people: dict[str, Any], submitted: dict[str, Any]) -> None:
    mid = submitted["milestone_id"]
    assert _open(api, people["client"], mid, reason="  ").status_code == 422
    assert api.call("POST", f"/milestones/{mid}/disputes", people["client"], {"reason": "x"}).status_code == 400
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    for body in ({"kind": "amount", "amount": -1}, {"kind": "amount", "amount": 1.5}, {"kind": "split"},
                 {"kind": "amount", "amount": 1, "due": "2030-01-01"}, {"kind": "revision", "due": "tomorrow"}, []):
        refused = _propose(api, people["freelancer"], dispute["id"], body)  # type: ignore[arg-type]
        assert refused.status_code == 422, (body, refused.get_json())
    assert _accept(api, people["freelancer"], 10**12).status_code == 404
    assert _withdraw(api, people["outsider"], dispute["id"]).status_code == 404


def test_acceptance_and_auto_approval_racing_keep_the_ledger_whole(app: Any, database_url: str, api: ApiActions,
                                                                   people: dict[str, Any],
                                                                   submitted: dict[str, Any]) -> None:
    """An auto-approval round and the acceptance that ends the dispute, at once: the milestone is
    approved once (by the resolution), whatever the order."""
    from workspace.tasks import run_once

    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    proposal = _propose(api, people["client"], dispute["id"], {"kind": "amount", "amount": 21_000}).get_json()
    pid = proposal["dispute"]["proposals"][0]["id"]
    barrier = threading.Barrier(2)
    answers: list[Any] = []

    def accept() -> None:
        barrier.wait()
        answers.append(_accept(ApiActions(app.test_client()), people["freelancer"], pid).status_code)

    def auto() -> None:
        with app.app_context():
            barrier.wait()
            run_once(app, datetime.now(timezone.utc) + timedelta(days=30))

    threads = [threading.Thread(target=accept), threading.Thread(target=auto)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [200]
    ledger = api.ok("GET", f"/jobs/{job_id}/ledger", people["client"])
    kinds = [t["kind"] for t in ledger["transactions"]]
    assert kinds.count("dispute.resolved") == 1 and kinds.count("milestone.approved") == 0
    assert ledger["balances"]["approved"] == 21_000


def test_a_withdrawn_dispute_gives_the_review_clock_back_and_frozen_milestones_get_no_reminders(
        app: Any, api: ApiActions, people: dict[str, Any], submitted: dict[str, Any]) -> None:
    from workspace.extensions import db
    from workspace.models import Dispute, Milestone, Notification
    from workspace.tasks import run_once

    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    dispute = _open(api, people["client"], mid).get_json()["dispute"]
    with app.app_context():
        before = db.session.get(Milestone, mid).review_due_at
        # The dispute has been open for 10 days by the time it is withdrawn.
        db.session.get(Dispute, dispute["id"]).opened_at -= timedelta(days=10)
        db.session.commit()
        run_once(app, before + timedelta(hours=1))  # the window would have closed: nothing is said or done
        told = db.session.query(Notification).filter(Notification.occasion.like("review:%")).count()
        db.session.remove()
    assert told == 0
    assert _withdraw(api, people["client"], dispute["id"]).status_code == 200
    with app.app_context():
        after = db.session.get(Milestone, mid).review_due_at
        db.session.remove()
    assert timedelta(days=10) <= after - before < timedelta(days=10, minutes=5)
    assert _milestone(api, people["client"], job_id, mid)["state"] == SUBMITTED


def test_the_dossiers_timeline_says_why_and_what_was_proposed(api: ApiActions, people: dict[str, Any],
                                                             submitted: dict[str, Any]) -> None:
    """index.html names a dispute's reason and the amount proposed, not the milestone's own amount."""
    import io
    import zipfile

    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    dispute = _open(api, people["client"], mid, reason="The logo is not vector").get_json()["dispute"]
    assert _propose(api, people["freelancer"], dispute["id"], {"kind": "amount", "amount": 25_000}).status_code == 201
    response = api.client.get(f"/api/v1/jobs/{job_id}/dossier.zip",
                              headers={"Authorization": f"Bearer {people['client']['token']}"})
    assert response.status_code == 200
    index = zipfile.ZipFile(io.BytesIO(response.get_data())).read(
        next(n for n in zipfile.ZipFile(io.BytesIO(response.get_data())).namelist() if n.endswith("index.html"))).decode()
    assert "The logo is not vector" in index
    assert "Proposed: 250.00 EUR to the freelancer, the rest cancelled." in index
    assert "class=scroll" in index  # a phone scrolls the wide timeline instead of cutting it off


def test_new_terms_cannot_move_money_already_moving(api: ApiActions, people: dict[str, Any],
                                                    submitted: dict[str, Any]) -> None:
    """A milestone settled to nothing by a dispute is not planned again by the next version, and no
    version changes the amount of a milestone underway (the agreed total and the milestones agree)."""
    from tests.support import terms as make_terms

    mid, job_id = submitted["milestone_id"], submitted["job_id"]
    f, c = people["freelancer"], people["client"]
    dispute = _open(api, c, mid).get_json()["dispute"]
    proposal = _propose(api, c, dispute["id"], {"kind": "amount", "amount": 0}).get_json()
    assert _accept(api, f, proposal["dispute"]["proposals"][0]["id"]).status_code == 200
    agreed = balances(api, c, job_id)["agreed"]
    changed = make_terms(scope="The same work, clearer words.")
    proposed = api.propose(f, job_id, changed)
    api.accept(c, job_id, proposed["version"], proposed["terms_hash"])
    job_now = api.ok("GET", f"/jobs/{job_id}", c)["job"]
    assert job_now["agreement"]["version"] == 2
    assert _milestone(api, c, job_id, mid)["state"] == CANCELLED  # not revived at its old amount
    assert balances(api, c, job_id)["agreed"] == agreed == sum(m["amount"] for m in job_now["milestones"])
    # The second milestone is submitted: a version changing its amount is refused, field by field.
    second = submitted["second_id"]
    assert submit(api, f, second).status_code == 200
    bigger = make_terms(scope="More", milestones=[{**m, "amount": m["amount"] + (5_000 if i == 1 else 0)}
                                                  for i, m in enumerate(changed["milestones"])])
    refused = api.call("POST", f"/jobs/{job_id}/agreements", f, bigger)
    assert refused.status_code == 422 and "milestones.1.amount" in refused.get_json()["error"]["fields"]


def test_a_version_proposed_before_a_milestone_got_underway_cannot_come_into_force(
        api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> None:
    from tests.support import terms as make_terms

    state = activate(api, people, job)
    f, c = people["freelancer"], people["client"]
    base = make_terms()
    cheaper = make_terms(milestones=[{**m, "amount": m["amount"] - 1_000} for m in base["milestones"]])
    proposed = api.propose(f, job["id"], cheaper)  # while both milestones are planned: allowed
    assert submit(api, f, state["milestones"][0]["id"]).status_code == 200
    refused = api.call("POST", f"/jobs/{job['id']}/agreements/{proposed['version']}/accept", c,
                       {"terms_hash": proposed["terms_hash"]})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "milestones_underway"
    assert api.ok("GET", f"/jobs/{job['id']}", c)["job"]["agreement"]["version"] == 1
