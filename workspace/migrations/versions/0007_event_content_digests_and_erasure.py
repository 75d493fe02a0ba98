"""event content digests and erasure

The hash chain now links over a digest of each event's data (`events.data_digest`, sha256 of its
canonical JSON) instead of the data itself, so a deleted message's content can be erased while the
chain still verifies. This migration backfills the digests and re-links every existing chain in seq
order, which rewrites `prev_hash` and `hash` of every stored event: acceptable because the chain has
not yet been published or signed anywhere outside this database (no one holds an old hash to compare).

While re-linking it also
- drops `reply_to.excerpt` from stored message events: excerpts are built when reading, from the
  replied-to message as it is now (a view, not a fact; stored ones kept deleted or old text);
- erases what deletions and edits left behind: messages already deleted lose their body, their
  message.posted/message.edited events keep only what remains (id, author, time, a deleted marker),
  their attachments' rows lose their names and are marked erased (the files are removed from disk by
  `services.attachments.purge_erased_files`, since a migration does not know the upload directory);
  edited messages keep the text of their latest version only; notifications that quoted an erased
  version lose their text.

The formulas are written out here (not imported) so that this migration means the same thing forever.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 13:10:00
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from alembic import op
import sqlalchemy as sa
import workspace.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
MESSAGE_EVENTS = ("message.posted", "message.edited", "message.deleted")
ERASABLE = ("message.posted", "message.edited")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _without_excerpt(data: dict[str, Any]) -> dict[str, Any]:
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("reply_to"), dict):
        return data
    reply_to = {k: v for k, v in message["reply_to"].items() if k != "excerpt"}
    return {**data, "message": {**message, "reply_to": reply_to}}


def _remains(message: dict[str, Any], *, deleted: bool) -> dict[str, Any]:
    """What an erased message event keeps (the same shape services.messages.erased_view gives)."""
    kept = {k: message.get(k) for k in ("id", "author", "created_at", "client_ref", "edited_at")}
    return {**kept, "body": "", "html": "", "deleted": deleted, "erased": True,
            "reply_to": None if deleted else message.get("reply_to"),
            "attachments": [] if deleted else message.get("attachments") or []}


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('erased_at', workspace.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', workspace.db.UTCDateTime(), nullable=True))

    events = sa.table('events', sa.column('id', sa.Integer), sa.column('job_id', sa.Integer),
                      sa.column('seq', sa.Integer), sa.column('type', sa.String),
                      sa.column('at', workspace.db.UTCDateTime()), sa.column('actor_id', sa.Integer),
                      sa.column('data', sa.JSON), sa.column('data_digest', sa.String),
                      sa.column('erased_at', workspace.db.UTCDateTime()),
                      sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    jobs = sa.table('jobs', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    messages = sa.table('messages', sa.column('id', sa.Integer), sa.column('body', sa.Text),
                        sa.column('deleted_at', workspace.db.UTCDateTime()))
    attachments = sa.table('attachments', sa.column('message_id', sa.Integer), sa.column('filename', sa.String),
                           sa.column('erased_at', workspace.db.UTCDateTime()))
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    deleted = {row.id for row in conn.execute(sa.select(messages.c.id).where(messages.c.deleted_at.is_not(None)))}
    public = dict(conn.execute(sa.select(jobs.c.id, jobs.c.public_id)).all())
    notifications = sa.table('notifications', sa.column('job_id', sa.Integer), sa.column('seq', sa.Integer),
                             sa.column('body', sa.Text))
    # message id -> [(event id, job id, seq, message)] of its posted/edited events, oldest first
    versions: dict[int, list[tuple[int, int, int, dict[str, Any]]]] = {}
    for job_id, job_public in public.items():
        prev = GENESIS
        rows = conn.execute(sa.select(events.c.id, events.c.seq, events.c.type, events.c.at, events.c.actor_id,
                                      events.c.data).where(events.c.job_id == job_id).order_by(events.c.seq)).all()
        for row in rows:
            data = _without_excerpt(row.data) if row.type in MESSAGE_EVENTS else row.data
            digest = hashlib.sha256(_canonical_json(data).encode()).hexdigest()
            canonical = {"job": job_public, "seq": row.seq, "type": row.type, "at": _iso(row.at),
                         "actor_id": row.actor_id, "data_digest": digest}
            new_hash = hashlib.sha256((prev + _canonical_json(canonical)).encode()).hexdigest()
            conn.execute(events.update().where(events.c.id == row.id)
                         .values(data=data, data_digest=digest, prev_hash=prev, hash=new_hash))
            prev = new_hash
            message = data.get("message") if isinstance(data, dict) else None
            if row.type in ERASABLE and isinstance(message, dict) and isinstance(message.get("id"), int):
                versions.setdefault(message["id"], []).append((row.id, job_id, row.seq, message))
    for message_id, stored in versions.items():
        gone = message_id in deleted
        for event_id, job_id, seq, message in stored if gone else stored[:-1]:
            conn.execute(events.update().where(events.c.id == event_id)
                         .values(data={"message": _remains(message, deleted=gone)}, erased_at=now))
            # notifications of a message quoted its text
            conn.execute(notifications.update().where(notifications.c.job_id == job_id, notifications.c.seq == seq)
                         .values(body=""))
    if deleted:
        ids = sorted(deleted)
        conn.execute(messages.update().where(messages.c.id.in_(ids)).values(body=""))
        conn.execute(attachments.update().where(attachments.c.message_id.in_(ids))
                     .values(filename="", erased_at=now))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('data_digest', existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    # Erased content cannot come back; the chains are re-linked by the old formula (over the data as
    # it is now), so verification by 0006's code passes again.
    events = sa.table('events', sa.column('id', sa.Integer), sa.column('job_id', sa.Integer),
                      sa.column('seq', sa.Integer), sa.column('type', sa.String),
                      sa.column('at', workspace.db.UTCDateTime()), sa.column('actor_id', sa.Integer),
                      sa.column('data', sa.JSON), sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    jobs = sa.table('jobs', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    conn = op.get_bind()
    for job_id, job_public in conn.execute(sa.select(jobs.c.id, jobs.c.public_id)).all():
        prev = GENESIS
        rows = conn.execute(sa.select(events.c.id, events.c.seq, events.c.type, events.c.at, events.c.actor_id,
                                      events.c.data).where(events.c.job_id == job_id).order_by(events.c.seq)).all()
        for row in rows:
            canonical = {"job": job_public, "seq": row.seq, "type": row.type, "at": _iso(row.at),
                         "actor_id": row.actor_id, "data": row.data}
            new_hash = hashlib.sha256((prev + _canonical_json(canonical)).encode()).hexdigest()
            conn.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=new_hash))
            prev = new_hash
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('data_digest')
