"""Messages in a room: post (idempotent by client_ref), edit within 15 minutes, delete."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workspace.domain.ids import is_id
from workspace.db import iso, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Forbidden, Invalid, NotFound
from workspace.extensions import db
from workspace.models import Attachment, Event, Job, Message, User
from workspace.rendering import render_markdown
from workspace.services.access import load_member, require
from workspace.services.attachments import attachment_view
from workspace.services.events import wire

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


def message_view(session: Any, message: Message, author_name: str) -> dict[str, Any]:
    """A message as everyone sees it (full entity, so one client-side apply() handles it)."""
    deleted = message.deleted_at is not None
    view: dict[str, Any] = {
        "id": message.id, "author": {"id": message.author_id, "name": author_name},
        "body": "" if deleted else message.body, "html": "" if deleted else render_markdown(message.body),
        "created_at": iso(message.created_at), "client_ref": message.client_ref,
        "edited_at": iso(message.edited_at) if message.edited_at else None,
        "deleted": deleted, "reply_to": None, "attachments": [],
    }
    if message.reply_to_id is not None:
        row = session.execute(select(Message, User.name).join(User, User.id == Message.author_id)
                              .where(Message.id == message.reply_to_id)).first()
        if row is not None:
            original, name = row
            view["reply_to"] = {"id": original.id, "author": {"id": original.author_id, "name": name},
                                "excerpt": "" if original.deleted_at else original.body[:140]}
    if not deleted:
        files = session.scalars(select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id))
        view["attachments"] = [attachment_view(a) for a in files]
    return view


def post_message(actor: User, job_id: str, body: Any, *, reply_to: Any = None, client_ref: Any = None,
                 attachments: Any = None) -> dict[str, Any]:
    """Post a message; a retry with the same client_ref returns the first event and posts nothing."""
    text = _body(body, allow_empty=bool(attachments))
    ref = _client_ref(client_ref)
    file_ids = _ids(attachments)
    if reply_to is not None and not is_id(reply_to):
        raise Invalid("reply_to is a message id.", fields={"reply_to": "Invalid."})
    job, membership = load_member(db.session(), actor, job_id)
    require(membership, "message.post", "Viewers follow along; they cannot post messages.")
    if ref is not None:
        existing = _already_posted(job, actor, ref)
        if existing is not None:
            return existing
    try:
        with transaction() as tx:
            job, membership = load_member(tx.session, actor, job_id)
            require(membership, "message.post", "Viewers follow along; they cannot post messages.")
            if reply_to is not None:
                target = tx.session.scalar(select(Message).where(Message.id == reply_to, Message.job_id == job.id))
                if target is None:
                    raise NotFound("The message you reply to is not in this job.")
            files = []
            if file_ids:
                files = list(tx.session.scalars(select(Attachment).where(
                    Attachment.public_id.in_(file_ids), Attachment.job_id == job.id,
                    Attachment.uploader_id == actor.id, Attachment.message_id.is_(None))))
                if len(files) != len(file_ids):
                    raise Invalid("Some attachments are missing or already used; upload them again.",
                                  fields={"attachments": "Unknown or used."})
            message = Message(job_id=job.id, author_id=actor.id, body=text, reply_to_id=reply_to,
                              client_ref=ref, seq=0)
            tx.session.add(message)
            tx.session.flush()
            for f in files:
                f.message_id = message.id
            tx.session.flush()
            event = tx.record(job, ev.MESSAGE_POSTED, {"message": message_view(tx.session, message, actor.name)}, actor)
            message.seq = event["seq"]
    except IntegrityError:
        # Two retries raced with the same client_ref: the first one won; answer with its event.
        db.session.rollback()
        existing = _already_posted(job, actor, ref) if ref else None
        if existing is None:
            raise
        return existing
    return event


def _already_posted(job: Job, actor: User, ref: str) -> dict[str, Any] | None:
    row = db.session.execute(
        select(Event, User.name).join(Message, (Message.job_id == Event.job_id) & (Message.seq == Event.seq))
        .join(User, User.id == Event.actor_id)
        .where(Message.job_id == job.id, Message.author_id == actor.id, Message.client_ref == ref)
    ).first()
    return wire(job, row[0], row[1]) if row else None


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
    """Change a message's text within 15 minutes of posting; the room sees it as edited."""
    text = _body(body)
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "message.post")
        message = _own_message(tx.session, actor, job, message_id)
        if utcnow() - message.created_at > EDIT_WINDOW:
            raise Forbidden("Messages can be edited for 15 minutes after posting.", code="edit_window_closed")
        message.body, message.edited_at = text, utcnow()
        tx.session.flush()
        event = tx.record(job, ev.MESSAGE_EDITED, {"message": message_view(tx.session, message, actor.name)}, actor)
    return event


def delete_message(actor: User, job_id: str, message_id: Any) -> dict[str, Any]:
    """Remove a message's content; the room keeps a 'deleted' marker in its place."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "message.post")
        message = _own_message(tx.session, actor, job, message_id)
        message.deleted_at = utcnow()
        tx.session.flush()
        event = tx.record(job, ev.MESSAGE_DELETED, {"message": message_view(tx.session, message, actor.name)}, actor)
    return event
