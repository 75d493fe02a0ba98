"""Messages in a room: post (idempotent by client_ref), edit within 15 minutes, delete.

Deleting erases: the body, the files, and the content of every stored event of the message (the
events keep their digests, so the chain still verifies); editing erases the earlier versions' text.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from workspace.domain.ids import is_id
from workspace.db import GuardRefused, Transaction, iso, standing_guards, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workspace.domain.notify_text import describe
from workspace.extensions import db
from workspace.models import Attachment, Event, Job, Message, Notification, User
from workspace.services import posting
from workspace.services.access import Seat, load_member, load_seat, require
from workspace.services.attachments import attachment_facts, erase_message_files
from workspace.services.wire import facts

BODY_MAX = 10_000
EDIT_WINDOW = timedelta(minutes=15)
MAX_ATTACHMENTS = 10


def _body(body: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(body, str):
        raise Invalid("The message must be text.", fields={"body": "Write a message."})
    if len(body) > BODY_MAX:
        raise Invalid(f"Messages are limited to {BODY_MAX:,} characters.",
                      fields={"body": f"{len(body):,} of {BODY_MAX:,} characters."})
    if not body.strip() and not allow_empty:
        raise Invalid("Write something first.", fields={"body": "The message is empty."})
    return body.strip()


def _client_ref(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise Invalid("client_ref is a string of 1 to 64 characters.", fields={"client_ref": "Invalid."})
    return value


def _ids(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 32 for v in value):
        raise Invalid("attachments is a list of attachment ids.", fields={"attachments": "Invalid."})
    if len(value) > MAX_ATTACHMENTS:
        raise Invalid(f"Attach at most {MAX_ATTACHMENTS} files to one message.", fields={"attachments": "Too many."})
    return list(dict.fromkeys(value))


def message_facts(session: Any, message: Message, author_name: str) -> dict[str, Any]:
    """A message as its events store it: the full entity (so one client-side apply() handles it) in facts
    only; its HTML, file URLs and a reply's excerpt are added when sent or read (services/wire.py)."""
    deleted = message.deleted_at is not None
    out: dict[str, Any] = {
        "id": message.id, "author": {"id": message.author_id, "name": author_name},
        "body": "" if deleted else message.body,
        "created_at": iso(message.created_at), "client_ref": message.client_ref,
        "edited_at": iso(message.edited_at) if message.edited_at else None,
        "deleted": deleted, "reply_to": None, "attachments": [],
    }
    if message.reply_to_id is not None and not deleted:
        row = session.execute(select(Message.id, Message.author_id, User.name).join(User, User.id == Message.author_id)
                              .where(Message.id == message.reply_to_id)).first()
        if row is not None:
            original_id, original_author, name = row
            out["reply_to"] = {"id": original_id, "author": {"id": original_author, "name": name}}
    if not deleted:
        files = session.scalars(select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id))
        out["attachments"] = [attachment_facts(a) for a in files]
    return out


def erased_view(message: dict[str, Any], *, deleted: bool) -> dict[str, Any]:
    """What remains of a stored message version once its content is erased: that it existed, who
    posted it and when (and, for a version replaced by an edit, the files the message still has)."""
    kept = {k: message.get(k) for k in ("id", "author", "created_at", "client_ref", "edited_at")}
    remains = {**kept, "body": "", "deleted": deleted, "erased": True,
               "reply_to": None if deleted else message.get("reply_to"),
               "attachments": [] if deleted else message.get("attachments") or []}
    return facts(ev.MESSAGE_EDITED, {"message": remains})["message"]  # an older event's URLs go too


def _erase_versions(tx: Transaction, job: Job, message: Message, *, deleted: bool) -> list[int]:
    """Erase the stored content of the message's posted/edited events (their digests stay); their seqs."""
    query = select(Event).where(
        Event.job_id == job.id, Event.type.in_([ev.MESSAGE_POSTED, ev.MESSAGE_EDITED]), Event.seq >= message.seq,
        Event.data[("message", "id")].as_integer() == message.id)
    if not deleted:  # versions an earlier edit erased stay as they are; a delete re-erases them all
        query = query.where(Event.erased_at.is_(None))
    events = tx.session.scalars(query)
    now, seqs = utcnow(), []
    for event in events:
        event.data = {"message": erased_view(event.data["message"], deleted=deleted)}
        event.erased_at = now
        seqs.append(event.seq)
    return seqs


DELETED_NOTICE = "This message was deleted."  # what the notifications of a deleted message say now


def _renotify(tx: Transaction, job: Job, seqs: list[int], body: str) -> None:
    """Replace the text of the notifications that quoted the erased versions."""
    if seqs:
        tx.session.execute(update(Notification).where(Notification.job_id == job.id, Notification.seq.in_(seqs))
                           .values(body=body))


def _record_message(tx: Transaction, job: Job, type_: str, message: Message, actor: User) -> dict[str, Any]:
    return tx.record(job, type_, {"message": message_facts(tx.session, message, actor.name)}, actor)


VIEWERS_CANNOT_POST = "Viewers follow along; they cannot post messages."


def post_message(actor: User, job_id: str, body: Any, *, reply_to: Any = None, client_ref: Any = None,
                 attachments: Any = None, seat: Seat | None = None) -> dict[str, Any]:
    """Post a message; a retry with the same client_ref returns the first event and posts nothing.

    `seat`: the poster's membership as their socket holds it (realtime gate); without it (HTTP, mail)
    it is read here. Either way the write is guarded by `still_may` (the statement that takes the seq
    checks the membership and role), so nothing read earlier can be stale. Posts arriving together are
    written together (`services/posting.py`), each committed before it is answered or sent.
    """
    text = _body(body, allow_empty=bool(attachments))
    ref = _client_ref(client_ref)
    file_ids = _ids(attachments)
    if reply_to is not None and not is_id(reply_to):
        raise Invalid("reply_to is a message id.", fields={"reply_to": "Invalid."})
    loaded = seat is None
    if seat is None:
        seat = load_seat(actor, job_id)
    require(seat, "message.post", VIEWERS_CANNOT_POST)
    post = posting.Post(actor, seat, text, ref, reply_to, file_ids, standing_guards(seat))
    try:
        return posting.write(post)
    except GuardRefused:
        if not loaded:
            raise  # the socket gate says what changed (and forgets what the socket kept)
        db.session.rollback()
        require(load_seat(actor, job_id), "message.post", VIEWERS_CANNOT_POST)  # removed, or no longer may
        raise Conflict("Something changed while you posted; nothing was posted. Try again.", code="retry")


def _own_message(session: Any, actor: User, job: Job, message_id: Any) -> Message:
    if not is_id(message_id):
        raise NotFound("No such message in this job.")
    message = session.scalar(select(Message).where(Message.id == message_id, Message.job_id == job.id))
    if message is None or message.deleted_at is not None:
        raise NotFound("No such message in this job.")
    if message.author_id != actor.id:
        raise Forbidden("You can only change your own messages.")
    return message


def edit_message(actor: User, job_id: str, message_id: Any, body: Any) -> dict[str, Any]:
    """Change a message's text within 15 minutes of posting; the room sees it as edited.

    Only the latest text stays: the earlier versions' stored content is erased.
    """
    text = _body(body)
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "message.post")
        message = _own_message(tx.session, actor, job, message_id)
        if utcnow() - message.created_at > EDIT_WINDOW:
            raise Forbidden("Messages can be edited for 15 minutes after posting.", code="edit_window_closed")
        message.body, message.edited_at = text, utcnow()
        seqs = _erase_versions(tx, job, message, deleted=False)
        tx.session.flush()
        event = _record_message(tx, job, ev.MESSAGE_EDITED, message, actor)
        # Notifications of the message quoted the text it had then: they now say what it says now.
        _, body = describe(ev.MESSAGE_POSTED, event["data"], actor.name, job.title)
        _renotify(tx, job, [message.seq, *seqs], body)
    return event


def delete_message(actor: User, job_id: str, message_id: Any) -> dict[str, Any]:
    """Erase a message for everyone: its text (in the row, its events and notifications of it), its
    files, and the excerpts replies show of it. What remains: that it existed, who posted it, when."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "message.post")
        message = _own_message(tx.session, actor, job, message_id)
        message.deleted_at, message.body = utcnow(), ""
        seqs = _erase_versions(tx, job, message, deleted=True)
        erase_message_files(tx, message.id, Path(current_app.config["UPLOAD_DIR"]))
        _renotify(tx, job, seqs, DELETED_NOTICE)
        tx.session.flush()
        event = _record_message(tx, job, ev.MESSAGE_DELETED, message, actor)
    return event
