"""Writing posted messages: every post goes through one writer, which writes the posts that arrive
together in one transaction (group commit, `workspace.group_commit`).

A batch is one transaction of Core statements: per person posting in a job, one seq allocation for
all their posts there (guarded: still a member allowed to post, still signed in), one multi-row INSERT
of the messages and one of their events, and the notifications of them all (two statements per job);
one COMMIT, then everything is published, as one message between workers. A post that cannot be
written (a reply to a message not in the job, files already used) fails alone before anything is
written; a batch that fails as a whole (a retried client_ref, a guard that no longer holds, the
database) is written again post by post, each with its own error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from workspace import metrics
from workspace.db import Guard, Transaction, iso, table_of, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Invalid, NotFound
from workspace.extensions import db
from workspace.group_commit import GroupCommit, Item
from workspace.models import Attachment, Message, User
from workspace.services.access import Seat, still_may
from workspace.services.attachments import attachment_facts


@dataclass(eq=False)
class Post(Item):
    """One message to write, as checked by `messages.post_message`."""

    actor: User
    seat: Seat
    text: str
    ref: str | None
    reply_to: int | None
    file_ids: list[str]
    guards: tuple[Guard, ...]  # the poster's own (`standing_guards`, taken where they posted)
    files: list[Attachment] = field(default_factory=list)
    reply: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        Item.__init__(self)

    @property
    def run(self) -> tuple[Any, ...]:
        """Posts of one run share a seq allocation: one person, one job, one credential."""
        return (self.seat.id, self.actor.id, tuple(tuple(sorted(g.params.items())) for g in self.guards))


@lru_cache(maxsize=None)
def _statements() -> dict[str, Any]:
    """The posting path's statements, built once."""
    m, u = Message.__table__.c, User.__table__.c
    return {
        "reply_to": select(m.id, m.author_id, u.name).join(User.__table__, u.id == m.author_id)
        .where(m.id == bindparam("id"), m.job_id == bindparam("job")),
        "insert": insert(table_of(Message)).returning(m.seq, m.id),
    }


def write(post: Post) -> dict[str, Any]:
    """Write one post (with whatever else arrives together); its event, or its error raised."""
    db.fresh_snapshot()  # no read transaction (nor its pooled connection) held while waiting for a batch
    group = current_app.extensions.get("message_group_commit")
    if group is None:
        group = current_app.extensions["message_group_commit"] = GroupCommit(_write_batch)
    group.submit(post)
    if post.alone:  # its batch failed as a whole (nothing of it was written): again, by itself
        post.alone, post.result, post.error = False, None, None
        _write_batch([post])
    if post.error is not None:
        raise post.error
    return post.result


def _write_batch(posts: list[Post]) -> None:
    """One transaction for all of `posts`: each gets its event (`result`) or its own error."""
    try:
        with transaction() as tx:
            ready = [p for p in posts if _checked(tx, p)]
            runs: dict[tuple[Any, ...], list[Post]] = {}
            for post in ready:
                runs.setdefault(post.run, []).append(post)
            # Jobs in ascending order: each run locks its job's row until commit, and two batches (two
            # workers) locking the same jobs in different orders would deadlock on PostgreSQL.
            for run in sorted(runs.values(), key=lambda r: r[0].seat.id):
                for post, event in zip(run, _record_run(tx, run), strict=True):
                    post.result = event
        if ready:
            metrics.posts_committed(len(ready))
    except IntegrityError:
        if len(posts) > 1:
            raise  # which post? each goes again alone
        db.session.rollback()
        # A retry of one post with the same client_ref (the unique key refused the second row):
        # answer with the first message's event; nothing was written.
        post = posts[0]
        existing = _already_posted(post) if post.ref else None
        if existing is None:
            raise
        post.result, post.error = existing, None


def _checked(tx: Transaction, post: Post) -> bool:
    """Look up what the post refers to (nothing written yet); False, with its error, when it cannot be."""
    if post.reply_to is not None:
        row = tx.session.connection().execute(_statements()["reply_to"], {"id": post.reply_to, "job": post.seat.id}).first()
        if row is None:
            post.error = NotFound("The message you reply to is not in this job.")
            return False
        post.reply = {"id": row[0], "author": {"id": row[1], "name": row[2]}}
    if post.file_ids:
        post.files = list(tx.session.scalars(select(Attachment).where(
            Attachment.public_id.in_(post.file_ids), Attachment.job_id == post.seat.id,
            Attachment.uploader_id == post.actor.id, Attachment.message_id.is_(None)).order_by(Attachment.id)))
        if len(post.files) != len(post.file_ids):
            post.error = Invalid("Some attachments are missing or already used; upload them again.",
                                 fields={"attachments": "Unknown or used."})
            return False
    return True


def _record_run(tx: Transaction, run: list[Post]) -> list[dict[str, Any]]:
    """One person's posts in one job: one guarded seq allocation, the messages, their events."""
    first = run[0]
    actor, seat = first.actor, first.seat
    conn = tx.session.connection()

    def stored(seqs: list[int]) -> list[dict[str, Any]]:
        """Insert the messages with their events' seqs; their stored form, as message_facts gives it."""
        now = utcnow()
        rows = [{"job_id": seat.id, "author_id": actor.id, "body": p.text, "reply_to_id": p.reply_to,
                 "client_ref": p.ref, "seq": seq, "created_at": now} for p, seq in zip(run, seqs)]
        ids = dict(conn.execute(_statements()["insert"], rows if len(rows) > 1 else rows[0]).all())
        out = []
        for post, seq in zip(run, seqs):
            for f in post.files:
                f.message_id = ids[seq]
            out.append({"message": {
                "id": ids[seq], "author": {"id": actor.id, "name": actor.name}, "body": post.text,
                "created_at": iso(now), "client_ref": post.ref, "edited_at": None, "deleted": False,
                "reply_to": post.reply, "attachments": [attachment_facts(f) for f in post.files]}})
        return out

    guards = (still_may(actor.id, seat.id, "message.post"), *first.guards)
    return tx.record_many(seat, ev.MESSAGE_POSTED, len(run), stored, actor, guards=guards)


def _already_posted(post: Post) -> dict[str, Any] | None:
    from workspace.models import Event
    from workspace.services.events import wire
    from workspace.services.wire import with_excerpts

    row = db.session.execute(
        select(Event, User.name).join(Message, (Message.job_id == Event.job_id) & (Message.seq == Event.seq))
        .join(User, User.id == Event.actor_id)
        .where(Message.job_id == post.seat.id, Message.author_id == post.actor.id, Message.client_ref == post.ref)
    ).first()
    return with_excerpts([wire(post.seat, row[0], row[1])])[0] if row else None
