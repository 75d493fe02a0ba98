"""Every action's events, in the manner of Zulip's `verify_action`: the events an action emits (as a member's
socket receives them) have the exact types expected, each matches the schema of its type
(tests/event_schemas.py), reading them back over HTTP gives the same wire form, and a client that applies
them to the state it had reaches the state a fresh load shows. A refused action emits nothing.

The state is what the room shows: the parts of GET /jobs/<job> that events change, plus the messages,
which the room builds from the log. `apply` below mirrors the room's one apply-per-type.
"""
from __future__ import annotations

import copy
import io
import json
from datetime import date, timedelta
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import select

from tests.event_schemas import PRESENTATION_KEYS, check_event
from tests.money_support import key
from tests.support import ApiActions, terms
from workspace.services.wire import EXCERPT_CHARS

STRIPPED = ("actions", "on_approve")  # per member, computed for the reader; not in events


# ---------------------------------------------------------------- the state a client keeps

def _agreement(view: dict[str, Any] | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"version": view["version"], "status": view["status"], "terms_hash": view["terms_hash"],
            "accepted_by": sorted(a["user"]["id"] for a in view["acceptances"])}


def _entity(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in STRIPPED}


def fresh(api: ApiActions, who: dict[str, Any], job_id: str) -> dict[str, Any]:
    """The state a fresh page load gives: GET /jobs/<job> and, for messages, the log read from the start."""
    job = api.ok("GET", f"/jobs/{job_id}", who)["job"]
    review = job["my_review"]
    state = {
        "status": job["status"], "last_seq": job["last_seq"],
        "members": {m["id"]: m["role"] for m in job["members"]},
        "agreement": _agreement(job["agreement"]), "pending": _agreement(job["pending_agreement"]),
        "milestones": {m["id"]: _entity(m) for m in job["milestones"]},
        "payments": {p["id"]: _entity(p) for p in job["payments"]},
        "balances": {k: job["balances"][k] for k in LEDGER_FIGURES},
        "percent": job["progress"]["percent"], "live": job["live"], "snapshot_seconds": job["snapshot_seconds"],
        "my_review": {"rating": review["rating"], "text": review["text"]} if review else None,
        "messages": {},
    }
    events = api.events(who, job_id)["events"]
    for e in events:
        if e["type"].startswith("message."):
            apply(state, e, who["id"])
    state["last_seq"] = job["last_seq"]
    return state


# The ledger's figures (domain/ledger.py `balances`), which events carry whole; GET adds derived ones.
LEDGER_FIGURES = ("agreed", "upfront_requested", "upfront_paid", "approved", "paid", "owed", "credit",
                  "deposits_left")


def apply(state: dict[str, Any], event: dict[str, Any], me: int) -> None:
    """What the room does with one event (one branch per type, like room.js's apply)."""
    kind, data = event["type"], event["data"]
    state["last_seq"] = event["seq"]
    if "balances" in data:
        assert set(data["balances"]) == set(LEDGER_FIGURES)
        state["balances"] = dict(data["balances"])
    if kind in ("member.joined", "member.admitted"):
        state["members"][data["user"]["id"]] = data["role"]
    elif kind == "member.removed":
        state["members"].pop(data["user"]["id"], None)
    elif kind == "agreement.proposed":
        state["pending"] = _agreement(data["agreement"])
    elif kind == "agreement.accepted":
        for which in ("pending", "agreement"):
            version = state[which]
            if version is not None and version["version"] == data["version"]:
                version["accepted_by"] = sorted({*version["accepted_by"], event["actor"]["id"]})
        if data.get("became_client"):
            state["members"][event["actor"]["id"]] = "client"
    elif kind == "agreement.in_force":
        state["agreement"] = _agreement(data["agreement"])
        if state["pending"] is not None and state["pending"]["version"] <= data["agreement"]["version"]:
            state["pending"] = None
        state["status"] = data["job_status"]
        for m in data["milestones"]:
            state["milestones"][m["id"]] = m
    elif kind.startswith("message."):
        message = data["message"]
        state["messages"][message["id"]] = message
        if kind in ("message.edited", "message.deleted"):
            # Replies quote the original as it is now: its latest text, or nothing once deleted.
            # (The browser's timeline.update does this for a delete; for an edit it must do it too.)
            excerpt = "" if message["deleted"] else message["body"][:EXCERPT_CHARS]
            for other in state["messages"].values():
                if (other.get("reply_to") or {}).get("id") == message["id"]:
                    other["reply_to"] = {**other["reply_to"], "excerpt": excerpt}
    elif kind == "progress.posted":
        state["percent"] = data["progress"]["percent"]
    elif kind.startswith("milestone.") or kind.startswith("dispute."):
        state["milestones"][data["milestone"]["id"]] = data["milestone"]
    elif kind.startswith("payment."):
        state["payments"][data["payment"]["id"]] = data["payment"]
    elif kind == "job.completed":
        state["status"] = data["job_status"]
    elif kind == "review.posted":
        if event["actor"]["id"] == me:
            state["my_review"] = {"rating": data["review"]["rating"], "text": data["review"]["text"]}
    elif kind in ("session.started", "session.resumed", "session.paused"):
        state["live"] = data["session"]
    elif kind == "session.ended":
        state["live"] = None
    if kind in ("session.started", "diary.settings_changed"):
        state["snapshot_seconds"] = data["snapshot_seconds"]


# ---------------------------------------------------------------- the room under test

class Room:
    """A job with its people, and a member's socket (the client's) that receives what the room sends."""

    def __init__(self, app: Any, api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> None:
        from workspace.extensions import socketio

        self.app, self.api, self.people, self.job_id = app, api, people, job["id"]
        self.me = people["client"]
        self.socket = socketio.test_client(app, auth={"token": self.me["token"]})
        assert self.socket.emit("join", {"job": self.job_id}, callback=True)["ok"]
        self.freelancer_socket = socketio.test_client(app, auth={"token": people["freelancer"]["token"]})
        assert self.freelancer_socket.emit("join", {"job": self.job_id}, callback=True)["ok"]
        self.socket.get_received()

    def received(self) -> list[dict[str, Any]]:
        self.freelancer_socket.get_received()
        return [m["args"][0] for m in self.socket.get_received() if m["name"] == "event"]

    def state(self) -> dict[str, Any]:
        return fresh(self.api, self.me, self.job_id)

    def verify_action(self, action: Callable[[], Any], types: list[str]) -> Any:
        """Run `action`; check its events' types, schemas, read-back form, and state equivalence."""
        before = self.state()
        self.received()
        result = action()
        events = self.received()
        assert [e["type"] for e in events] == types, [e["type"] for e in events]
        assert [e["seq"] for e in events] == list(range(before["last_seq"] + 1, before["last_seq"] + 1 + len(types)))
        for e in events:
            check_event(e)
            assert e["job"] == self.job_id
            assert recomputed_hash(e) == e["hash"], e["type"]
        assert [e["prev_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
        read = self.api.events(self.me, self.job_id, after=before["last_seq"])["events"]
        assert read == events  # one serializer: what was sent is what is read
        applied = copy.deepcopy(before)
        for e in events:
            apply(applied, e, self.me["id"])
        after = self.state()
        assert applied == after
        return result

    def refused(self, action: Callable[[], Any]) -> None:
        """A refused action records nothing and changes nothing."""
        before = self.state()
        self.received()
        action()
        assert self.received() == []
        assert self.state() == before

    def live(self, event: str, **payload: Any) -> dict[str, Any]:
        ack = self.freelancer_socket.emit(event, {"job": self.job_id, **payload}, callback=True)
        assert ack["ok"], ack
        return ack


@pytest.fixture
def room(app, api, people, job) -> Iterator[Room]:
    opened = Room(app, api, people, job)
    yield opened
    for socket in (opened.socket, opened.freelancer_socket):
        if socket.is_connected():
            socket.disconnect()  # leaves the room, so the head ticker stops reading this database


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(room: Room, who: dict[str, Any]) -> dict[str, Any]:
    response = room.api.client.post(f"/api/v1/jobs/{room.job_id}/attachments", headers={
        "Authorization": f"Bearer {who['token']}"}, data={"file": (io.BytesIO(_png()), "shot.png")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["attachment"]


def stored_events(app: Any, job_id: str) -> list[Any]:
    from workspace.extensions import db
    from workspace.models import Event, Job

    with app.app_context():
        pk = db.session.scalar(select(Job.id).where(Job.public_id == job_id))
        rows = list(db.session.scalars(select(Event).where(Event.job_id == pk).order_by(Event.seq)))
        db.session.remove()
        return rows


def presentation_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {k for k in value if k in PRESENTATION_KEYS}
        for v in value.values():
            found |= presentation_in(v)
        return found
    if isinstance(value, list):
        return set().union(*(presentation_in(v) for v in value)) if value else set()
    return set()


# ---------------------------------------------------------------- every action

def test_every_action_emits_events_that_fit_their_schema_and_bring_clients_to_the_fresh_state(room):
    api, people, job = room.api, room.people, room.job_id
    f, c, v = people["freelancer"], people["client"], people["viewer"]

    # Terms: proposing, then the client's acceptance brings them into force and asks for the upfront part.
    proposed = room.verify_action(lambda: api.propose(f, job), ["agreement.proposed"])
    room.verify_action(lambda: api.accept(c, job, 1, proposed["terms_hash"]),
                       ["agreement.accepted", "agreement.in_force", "upfront.requested"])
    changed = terms(scope="Design a logo and a favicon.")
    room.verify_action(lambda: api.propose(f, job, changed), ["agreement.proposed"])

    # Messages: post (with a file, a reply), edit, delete.
    first = room.verify_action(lambda: api.ok("POST", f"/jobs/{job}/messages", c, {"body": "Hello **there**"},
                                              status=201), ["message.posted"])["event"]
    shot = upload(room, f)
    room.verify_action(lambda: api.ok("POST", f"/jobs/{job}/messages", f, {
        "body": "See the sketch", "reply_to": first["data"]["message"]["id"], "attachments": [shot["id"]]},
        status=201), ["message.posted"])
    message_id = first["data"]["message"]["id"]
    room.verify_action(lambda: api.ok("PATCH", f"/jobs/{job}/messages/{message_id}", c, {"body": "Hello _again_"}),
                       ["message.edited"])
    room.verify_action(lambda: api.ok("DELETE", f"/jobs/{job}/messages/{message_id}", c), ["message.deleted"])
    room.verify_action(lambda: api.ok("POST", f"/jobs/{job}/progress", f, {"percent": 40, "note": "Sketches *done*"},
                                      status=201), ["progress.posted"])

    # Money: the upfront part, paid and confirmed.
    state = api.ok("GET", f"/jobs/{job}", f)["job"]
    m1, m2 = (m["id"] for m in state["milestones"])
    upfront = room.verify_action(lambda: _pay(api, c, job, 10000),
                                 ["payment.sent"])["payment"]
    room.verify_action(lambda: _confirm(api, f, upfront["id"]), ["payment.confirmed"])

    # A milestone: refused without a note or a file, submitted, changes asked, resubmitted with a file, approved.
    room.refused(lambda: api.call("POST", f"/milestones/{m1}/submit", f, {"note": ""}))
    room.verify_action(lambda: api.ok("POST", f"/milestones/{m1}/submit", f, {"note": "Two **concepts**"}),
                       ["milestone.submitted"])
    room.verify_action(lambda: api.ok("POST", f"/milestones/{m1}/request-changes", c,
                                      {"reason": "Bigger logo", "criteria": [0]}), ["milestone.changes_requested"])
    drawing = upload(room, f)
    room.verify_action(lambda: api.ok("POST", f"/milestones/{m1}/submit", f, {"attachments": [drawing["id"]]}),
                       ["milestone.submitted"])
    room.verify_action(lambda: _approve(api, c, m1), ["milestone.approved"])

    # Payments: one disputed, one confirmed (which pays the approved milestone).
    wrong = room.verify_action(lambda: _pay(api, c, job, 20000),
                               ["payment.sent"])["payment"]
    room.verify_action(lambda: api.ok("POST", f"/payments/{wrong['id']}/dispute", f, {"reason": "Nothing arrived"}),
                       ["payment.disputed"])
    right = room.verify_action(lambda: _pay(api, c, job, 20000),
                               ["payment.sent"])["payment"]
    room.verify_action(lambda: _confirm(api, f, right["id"]), ["payment.confirmed", "milestone.paid"])

    # People: a second client joins (pending), accepts the terms in force, is admitted; the viewer is removed.
    colleague = api.signup("colleague")
    token = api.invite(f, job, "client")["token"]
    room.verify_action(lambda: api.join(colleague, token), ["member.joined"])
    version = api.ok("GET", f"/jobs/{job}", f)["job"]["agreement"]
    room.verify_action(lambda: api.accept(colleague, job, version["version"], version["terms_hash"]),
                       ["agreement.accepted"])
    room.verify_action(lambda: api.ok("POST", f"/jobs/{job}/members/{colleague['id']}/admit", c),
                       ["member.admitted"])
    room.verify_action(lambda: api.ok("DELETE", f"/jobs/{job}/members/{v['id']}", f), ["member.removed"])

    # A live session and the diary's settings.
    room.verify_action(lambda: api.ok("PUT", f"/jobs/{job}/diary/settings", f, {"snapshot_seconds": 300}),
                       ["diary.settings_changed"])
    room.verify_action(lambda: room.live("live_start", title="Refining", milestone_id=m2), ["session.started"])
    room.verify_action(lambda: room.live("live_pause"), ["session.paused"])
    room.verify_action(lambda: room.live("live_resume"), ["session.resumed"])
    room.verify_action(lambda: room.live("live_stop"), ["session.ended"])

    # Cancelling the last milestone (both sides ask) completes the job; then a review.
    room.verify_action(lambda: api.ok("POST", f"/milestones/{m2}/cancel", f), ["milestone.cancel_requested"])
    room.verify_action(lambda: api.ok("POST", f"/milestones/{m2}/cancel", c), ["milestone.cancelled", "job.completed"])
    room.verify_action(lambda: api.ok("POST", f"/jobs/{job}/reviews", c, {"rating": 5, "text": "Great work"},
                                      status=201), ["review.posted"])

    # The log stores facts only, and still verifies.
    rows = stored_events(room.app, job)
    assert {e.type for e in rows} >= {"message.posted", "milestone.submitted", "payment.confirmed"}
    assert {e.seq: presentation_in(e.data) for e in rows if presentation_in(e.data)} == {}
    _assert_chain_verifies(room.app, job)


def test_dispute_actions_emit_events_that_fit_and_bring_clients_to_the_fresh_state(room):
    api, people, job = room.api, room.people, room.job_id
    f, c = people["freelancer"], people["client"]
    proposed = api.propose(f, job)
    api.accept(c, job, 1, proposed["terms_hash"])
    m1, m2 = (m["id"] for m in api.ok("GET", f"/jobs/{job}", f)["job"]["milestones"])
    api.ok("POST", f"/milestones/{m1}/submit", f, {"note": "Two concepts"})
    api.ok("POST", f"/milestones/{m2}/submit", f, {"note": "Final files"})

    def act(method_path: str, who: dict[str, Any], body: dict[str, Any], status: int = 200) -> Any:
        response = api.call("POST", method_path, who, body, headers=key())
        assert response.status_code == status, response.get_json()
        return response.get_json()

    # Opened, a proposal, withdrawn by the side that opened it.
    first = room.verify_action(lambda: act(f"/milestones/{m1}/disputes", c, {"reason": "Not vector"}, 201),
                               ["dispute.opened"])["dispute"]
    room.verify_action(lambda: act(f"/disputes/{first['id']}/proposals", f, {"kind": "amount", "amount": 30000},
                                   201), ["dispute.proposed"])
    room.refused(lambda: api.call("POST", f"/milestones/{m1}/approve", c, {}, headers=key()))
    room.verify_action(lambda: act(f"/disputes/{first['id']}/withdraw", c, {}), ["dispute.withdrawn"])
    # Opened again and resolved: part of the amount is approved (the advance pays it), the rest cancelled.
    second = room.verify_action(lambda: act(f"/milestones/{m1}/disputes", f, {"reason": "No answer"}, 201),
                                ["dispute.opened"])["dispute"]
    offer = room.verify_action(lambda: act(f"/disputes/{second['id']}/proposals", c,
                                           {"kind": "amount", "amount": 8000}, 201), ["dispute.proposed"])
    pid = offer["dispute"]["proposals"][-1]["id"]
    room.verify_action(lambda: act(f"/dispute-proposals/{pid}/accept", f, {}), ["dispute.resolved"])
    # A revision resolution sends the other milestone back with a new date.
    third = room.verify_action(lambda: act(f"/milestones/{m2}/disputes", c, {"reason": "Missing favicon"}, 201),
                               ["dispute.opened"])["dispute"]
    due = (date.today() + timedelta(days=20)).isoformat()
    again = room.verify_action(lambda: act(f"/disputes/{third['id']}/proposals", f, {"kind": "revision", "due": due},
                                           201), ["dispute.proposed"])
    room.verify_action(lambda: act(f"/dispute-proposals/{again['dispute']['proposals'][-1]['id']}/accept", c, {}),
                       ["dispute.resolved"])
    _assert_chain_verifies(room.app, job)


# ---------------------------------------------------------------- what a member can check

def recomputed_hash(event: dict[str, Any]) -> str:
    """An event's hash from what a member received alone, by the function that made it (domain/chain.py)."""
    from workspace.domain.chain import canonical_event, link

    actor = event["actor"]["id"] if event["actor"] else None
    return link(event["prev_hash"], canonical_event(event["job"], event["seq"], event["type"], event["at"], actor,
                                                   event["data_digest"]))


def assert_member_verifies(events: list[dict[str, Any]]) -> None:
    """Every hash recomputes and every prev_hash names the hash before it, from 64 zeros at seq 1."""
    from workspace.domain.chain import GENESIS_HASH

    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    previous = GENESIS_HASH
    for e in events:
        assert e["prev_hash"] == previous, e["seq"]
        assert recomputed_hash(e) == e["hash"], e["seq"]
        previous = e["hash"]


def test_a_member_recomputes_every_hash_over_http_and_sockets_across_a_deleted_message(room):
    from workspace.extensions import socketio

    api, people, job = room.api, room.people, room.job_id
    f, c, v = people["freelancer"], people["client"], people["viewer"]
    api.ok("POST", f"/jobs/{job}/messages", c, {"body": "First"}, status=201)
    gone = api.ok("POST", f"/jobs/{job}/messages", f, {"body": "My IBAN, sent by mistake",
                                                        "attachments": [upload(room, f)["id"]]}, status=201)["event"]
    api.ok("POST", f"/jobs/{job}/messages", c, {"body": "Got it", "reply_to": gone["data"]["message"]["id"]},
           status=201)
    api.ok("DELETE", f"/jobs/{job}/messages/{gone['data']['message']['id']}", f)
    api.ok("POST", f"/jobs/{job}/messages", c, {"body": "After the delete"}, status=201)
    live = room.received()
    assert [e["type"] for e in live][-2:] == ["message.deleted", "message.posted"]

    read = api.events(v, job)["events"]  # a viewer: any member can check
    assert_member_verifies(read)
    erased = next(e for e in read if e["seq"] == gone["seq"])
    assert erased["data"]["message"]["body"] == "" and erased["data_digest"] == gone["data_digest"]
    assert erased["hash"] == gone["hash"]  # what was sent live before the delete still links
    by_seq = {e["seq"]: e for e in read}
    for e in live:  # the live broadcasts link into the same chain
        assert (e["prev_hash"], e["hash"]) == (by_seq[e["seq"]]["prev_hash"], by_seq[e["seq"]]["hash"])
        assert recomputed_hash(e) == e["hash"]

    paged = [*api.events(v, job, after=0, limit=2)["events"], *api.events(v, job, after=2, limit=500)["events"]]
    assert paged == read  # pages link across their edges
    older = api.ok("GET", f"/jobs/{job}/events?before={len(read)}&limit=3", v)["events"]
    assert older == read[-4:-1]

    viewer_socket = socketio.test_client(room.app, auth={"token": v["token"]})
    try:
        ack = viewer_socket.emit("join", {"job": job, "after": 0}, callback=True)
        assert ack["ok"] and ack["events"] == read  # the join page carries the same chain
    finally:
        viewer_socket.disconnect()


def _pay(api: ApiActions, who: dict[str, Any], job_id: str, amount: int) -> Any:
    response = api.call("POST", f"/jobs/{job_id}/payments", who,
                        {"amount": amount, "method": "bank_transfer", "reference": "INV-1"}, headers=key())
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _confirm(api: ApiActions, who: dict[str, Any], payment_id: int) -> Any:
    response = api.call("POST", f"/payments/{payment_id}/confirm", who, {}, headers=key())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _approve(api: ApiActions, who: dict[str, Any], milestone_id: int) -> Any:
    response = api.call("POST", f"/milestones/{milestone_id}/approve", who, {}, headers=key())
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _assert_chain_verifies(app: Any, job_id: str) -> None:
    from workspace.extensions import db
    from workspace.models import Job
    from workspace.services.events import verify_chain

    with app.app_context():
        assert verify_chain(db.session.scalar(select(Job.id).where(Job.public_id == job_id))) is None
        db.session.remove()


# ---------------------------------------------------------------- events stored before the split

class _Legacy:
    """How events were stored before the log kept facts only: the data as sent (HTML and URLs inside)."""

    @staticmethod
    def facts(type_: str, data: dict[str, Any]) -> dict[str, Any]:
        from workspace.services import wire

        return wire.present(type_, wire.facts(type_, data))

    @staticmethod
    def wire(*args: Any, **kwargs: Any) -> dict[str, Any]:
        from workspace.services import wire

        return wire._Form.wire(*args, **kwargs)  # the wire form is built as ever; only storage differs


@pytest.fixture
def legacy_storage():
    from workspace.db import EVENT_FORM

    current = EVENT_FORM.serializer
    EVENT_FORM.install(_Legacy())
    yield lambda: EVENT_FORM.install(current)
    EVENT_FORM.install(current)


def test_events_stored_with_presentation_keep_their_wire_form_and_verify(room, legacy_storage):
    api, people, job = room.api, room.people, room.job_id
    f, c = people["freelancer"], people["client"]
    proposed = api.propose(f, job, terms(upfront={"kind": "none"}))
    api.accept(c, job, 1, proposed["terms_hash"])
    m1 = api.ok("GET", f"/jobs/{job}", f)["job"]["milestones"][0]["id"]
    plain = upload(room, c)
    kept = api.ok("POST", f"/jobs/{job}/messages", c, {"body": "A **sketch**", "attachments": [plain["id"]]},
                  status=201)["event"]
    gone = api.ok("POST", f"/jobs/{job}/messages", c, {"body": "An IBAN by mistake"}, status=201)["event"]
    api.ok("POST", f"/jobs/{job}/messages", f, {"body": "Noted", "reply_to": kept["data"]["message"]["id"]}, status=201)
    api.ok("POST", f"/jobs/{job}/progress", f, {"percent": 20, "note": "Going *well*"}, status=201)
    drawing = upload(room, f)
    api.ok("POST", f"/milestones/{m1}/submit", f, {"note": "Here", "attachments": [drawing["id"]]})
    _approve(api, c, m1)
    payment = _pay(api, c, job, 30000)["payment"]
    _confirm(api, f, payment["id"])
    sent = {e["seq"]: e for e in room.received()}
    legacy_storage()  # back to storing facts

    rows = {e.seq: e for e in stored_events(room.app, job)}
    assert presentation_in(rows[kept["seq"]].data) == {"html", "url", "thumb_url"}  # really the old form
    assert "receipt_url" in presentation_in(rows[max(sent)].data) or any(
        "receipt_url" in presentation_in(e.data) for e in rows.values())
    read = {e["seq"]: e for e in api.events(c, job)["events"]}
    for seq, event in sent.items():
        assert read[seq] == event, event["type"]
        without_excerpt = json.loads(json.dumps(read[seq]["data"]))
        reply_to = (without_excerpt.get("message") or {}).get("reply_to")
        if reply_to:
            reply_to.pop("excerpt")
        assert without_excerpt == rows[seq].data  # the old wire form was the stored data itself
    _assert_chain_verifies(room.app, job)

    # New events next to old ones; a legacy message is still erased to the deleted marker.
    room.verify_action(lambda: api.ok("DELETE", f"/jobs/{job}/messages/{gone['data']['message']['id']}", c),
                       ["message.deleted"])
    erased = [e for e in api.events(c, job)["events"] if e["seq"] == gone["seq"]][0]["data"]["message"]
    assert erased["deleted"] is True and erased["body"] == "" and erased["html"] == "" and erased["attachments"] == []
    room.verify_action(lambda: api.ok("PATCH", f"/jobs/{job}/messages/{kept['data']['message']['id']}", c,
                                      {"body": "A **better** sketch"}), ["message.edited"])
    old_version = rows[kept["seq"]].seq
    remains = [e for e in api.events(c, job)["events"] if e["seq"] == old_version][0]["data"]["message"]
    assert remains["erased"] is True and remains["html"] == "" and remains["attachments"][0]["url"] == plain["url"]
    assert presentation_in(stored_events(room.app, job)[old_version - 1].data) == set()  # erasing left facts
    _assert_chain_verifies(room.app, job)
