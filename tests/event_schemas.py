"""The wire form of every room event type, as JSON Schema: what a client may rely on (Zulip keeps its
event schemas the same way, next to `verify_action`). Event data and the entities the room applies
whole (messages, progress, attachments, live sessions, balances) are closed: an unexpected key fails.
Entities shared with GET /jobs/<job> (milestones, payments, agreement versions) list what they must
have and may grow; test_event_contract checks them against the fresh view field by field.
"""
from __future__ import annotations

from typing import Any

import jsonschema

from workspace.domain import event_types as ev

# Derived for showing; sent on the wire, never stored in the log.
PRESENTATION_KEYS = frozenset({"html", "url", "thumb_url", "receipt_url", "due_at", "overdue", "overdue_at"})

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
NULL: dict[str, Any] = {"type": "null"}
TIME: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"}
DATE: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}
HASH: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def maybe(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


def one_of(*values: Any) -> dict[str, Any]:
    return {"enum": list(values)}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def closed(optional: dict[str, Any] | None = None, **required: Any) -> dict[str, Any]:
    """An object with exactly these keys (and, if present, the optional ones)."""
    return {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required),
            "additionalProperties": False}


def at_least(**required: Any) -> dict[str, Any]:
    """An object with at least these keys."""
    return {"type": "object", "properties": required, "required": list(required)}


USER = closed(id=INT, name=STR)
ROLE = one_of("freelancer", "client", "client_pending", "viewer", "mediator")
MONEY = {"currency": STR, "exponent": INT, "display": {"type": "object"}}

ATTACHMENT = closed(
    id=STR, name=STR, type=STR, size=INT, url={"type": "string", "pattern": "^/files/[^/]+$"},
    thumb_url=maybe({"type": "string", "pattern": "^/files/[^/]+/thumb$"}), width=maybe(INT), height=maybe(INT),
    created_at=TIME)

MESSAGE = closed(
    {"erased": BOOL},
    id=INT, author=USER, body=STR, html=STR, created_at=TIME, client_ref=maybe(STR), edited_at=maybe(TIME),
    deleted=BOOL, reply_to=maybe(closed(id=INT, author=USER, excerpt=STR)), attachments=array(ATTACHMENT))

PROGRESS = closed(id=INT, percent={"type": "integer", "minimum": 0, "maximum": 100}, note=STR, html=STR,
                  milestone=maybe(closed(id=INT, title=STR)), created_at=TIME)

SUBMISSION = at_least(
    id=INT, number=INT, note=STR, html=STR, submitted_at=TIME, review_due_at=TIME, decision=maybe(STR),
    decided_at=maybe(TIME), reason=maybe(STR), criteria=array(INT), out_of_scope=BOOL, revision=maybe(INT),
    attachments=array(ATTACHMENT))

MILESTONE = at_least(
    id=INT, position=INT, title=STR, amount=INT, due=DATE,
    state=one_of("planned", "submitted", "changes_requested", "approved", "paid", "cancelled"),
    criteria=array(STR), revisions_included=INT, revisions_used=INT, submitted_at=maybe(TIME),
    review_due_at=maybe(TIME), approved_at=maybe(TIME), auto_approved=BOOL, paid_at=maybe(TIME),
    cancel_requested_by=maybe(STR), submission=maybe(SUBMISSION), **MONEY)

PAYMENT = at_least(
    id=INT, amount=INT, method=STR, method_label=STR, reference=STR, note=STR,
    status=one_of("sent", "confirmed", "disputed"), sent_by=USER, sent_at=TIME, confirmed_at=maybe(TIME),
    confirmed_by=maybe(USER), dispute_reason=maybe(STR),
    receipt_url=maybe({"type": "string", "pattern": r"^/api/v1/payments/\d+/receipt\.pdf$"}), **MONEY)

AGREEMENT = at_least(
    version=INT, status=one_of("proposed", "in_force", "replaced", "superseded"), terms={"type": "object"},
    terms_hash=HASH, total=INT, upfront_due=INT, proposed_by=USER, proposed_at=TIME, in_force_at=maybe(TIME),
    acceptances=array(at_least(user=USER, role=ROLE, at=TIME, terms_hash=HASH)), awaiting=array(at_least(user=USER)),
    **MONEY)

BALANCES = closed(**{name: INT for name in ("agreed", "upfront_requested", "upfront_paid", "approved", "paid", "owed",
                                            "credit", "deposits_left")})

SESSION = closed(
    id=INT, title=STR, started_at=TIME, ended_at=maybe(TIME), ended_reason=maybe(STR), paused=BOOL, live=BOOL,
    publisher=USER, publisher_sid=maybe(STR), milestone=maybe(closed(id=INT, title=STR)),
    duration_seconds=maybe(INT))

SNAPSHOT = closed(
    {"taken_at": TIME, "url": STR, "thumb_url": maybe(STR)}, id=INT, session_id=INT, deleted=BOOL)

REVIEW = closed(id=INT, rating={"type": "integer", "minimum": 1, "maximum": 5}, text=STR, author=STR, job=STR,
                created_at=TIME, paid=closed(amount=INT, currency=STR, confirmed=BOOL), about=INT, role=ROLE)

MESSAGE_DATA = closed(message=MESSAGE)

PROPOSAL = closed({"amount_display": STR}, id=INT, kind=one_of("amount", "revision"),
                  proposer_role=ROLE, proposed_by=INT, amount=maybe(INT), due=maybe(DATE), note=STR,
                  needs=array(ROLE), accepted_by=array(ROLE),
                  state=one_of("pending", "accepted", "superseded", "closed"), created_at=TIME)
DISPUTE = closed(id=INT, milestone=INT, milestone_title=STR, state=one_of("open", "resolved", "withdrawn"),
                 opened_by=INT, opened_by_role=ROLE, reason=STR, milestone_state=STR, opened_at=TIME,
                 closed_at=maybe(TIME), proposals=array(PROPOSAL))
DISPUTE_DATA = closed(dispute=DISPUTE, milestone=MILESTONE, balances=BALANCES)

DATA: dict[str, dict[str, Any]] = {
    ev.JOB_CREATED: closed(title=STR, description=STR, freelancer=USER),
    ev.MEMBER_JOINED: closed(user=USER, role=ROLE),
    ev.MEMBER_REMOVED: closed(user=USER, role=ROLE),
    ev.MEMBER_ADMITTED: closed(user=USER, role=ROLE, became_client=BOOL),
    ev.AGREEMENT_PROPOSED: closed(agreement=AGREEMENT),
    ev.AGREEMENT_ACCEPTED: closed({"became_client": BOOL}, version=INT, terms_hash=HASH, role=ROLE),
    ev.AGREEMENT_IN_FORCE: closed(agreement=AGREEMENT, job_status=STR, milestones=array(MILESTONE),
                                  balances=BALANCES),
    ev.UPFRONT_REQUESTED: closed(amount=INT, balances=BALANCES, **MONEY),
    ev.MESSAGE_POSTED: MESSAGE_DATA,
    ev.MESSAGE_EDITED: MESSAGE_DATA,
    ev.MESSAGE_DELETED: MESSAGE_DATA,
    ev.PROGRESS_POSTED: closed(progress=PROGRESS),
    ev.MILESTONE_SUBMITTED: closed(milestone=MILESTONE),
    ev.MILESTONE_APPROVED: closed(milestone=MILESTONE, auto=BOOL, days=maybe(INT), balances=BALANCES),
    ev.MILESTONE_CHANGES_REQUESTED: closed(milestone=MILESTONE, reason=STR, criteria=array(STR), out_of_scope=BOOL,
                                           beyond_included=BOOL, revision_label=STR),
    ev.MILESTONE_CANCEL_REQUESTED: closed(milestone=MILESTONE),
    ev.MILESTONE_CANCELLED: closed(milestone=MILESTONE),
    ev.MILESTONE_PAID: closed(milestone=MILESTONE),
    ev.MILESTONE_REVIEW_EXTENDED: closed(milestone=MILESTONE, until=TIME,
                                         reason=one_of("warning_period", "clients_not_told"),
                                         warning_hours={"type": "number"}),
    ev.PAYMENT_SENT: closed(payment=PAYMENT, balances=BALANCES),
    ev.PAYMENT_CONFIRMED: closed(payment=PAYMENT, balances=BALANCES),
    ev.PAYMENT_DISPUTED: closed(payment=PAYMENT, balances=BALANCES),
    ev.JOB_COMPLETED: closed(job_status=one_of("completed"), balances=BALANCES),
    ev.REVIEW_POSTED: closed(review=REVIEW),
    ev.SESSION_STARTED: closed(session=SESSION, snapshot_seconds=INT),
    ev.SESSION_PAUSED: closed(session=SESSION, reason=one_of("paused", "disconnected")),
    ev.SESSION_RESUMED: closed(session=SESSION),
    ev.SESSION_ENDED: closed(session=SESSION, duration_seconds=INT, reason=STR),
    ev.SNAPSHOT_TAKEN: closed(snapshot=SNAPSHOT),
    ev.SNAPSHOT_DELETED: closed(snapshot=SNAPSHOT),
    ev.DIARY_SETTINGS_CHANGED: closed(snapshot_seconds=INT),
    ev.DISPUTE_OPENED: DISPUTE_DATA,
    ev.DISPUTE_PROPOSED: DISPUTE_DATA,
    ev.DISPUTE_ACCEPTED: DISPUTE_DATA,
    ev.DISPUTE_RESOLVED: DISPUTE_DATA,
    ev.DISPUTE_WITHDRAWN: DISPUTE_DATA,
}

assert set(DATA) == ev.ALL, "every event type has a schema"


def wire_schema(type_: str) -> dict[str, Any]:
    """The whole event as sent over HTTP and Socket.IO, with its place in the hash chain."""
    return closed(job=STR, seq={"type": "integer", "minimum": 1}, type=one_of(type_), at=TIME, actor=maybe(USER),
                  data=DATA[type_], data_digest=HASH, prev_hash=HASH, hash=HASH)


def check_event(event: dict[str, Any]) -> None:
    """Raise if `event` does not fit the schema of its type (an unknown type has none)."""
    assert event.get("type") in DATA, f"no schema for event type {event.get('type')!r}"
    jsonschema.validate(event, wire_schema(event["type"]))
