"""Notification emails (the Zulip/Discourse pattern): a notification still unread after
NOTIFY_EMAIL_DELAY goes out, and everything due for one person in one job goes out as one email.
Read state, membership and the person's setting are checked again when the email is made; "digest"
kinds wait for the daily digest hour; each notification is emailed at most once."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from workspace.db import rowcount, transaction, utcnow
from workspace.domain.roles import can
from workspace.extensions import db
from workspace.mail import outbox
from workspace.models import Job, LiveSession, Membership, Notification, User
from workspace.services.checkpoints import sign_head
from workspace.services.notifications import settings_for


def next_digest(now: datetime) -> datetime:
    """The next daily digest moment (DIGEST_HOUR_UTC) after `now`."""
    hour = int(current_app.config.get("DIGEST_HOUR_UTC", 7))
    moment = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)


def compose_due(now: datetime | None = None) -> int:
    """Turn due notifications into outbox emails; returns how many emails were made."""
    now = now or utcnow()
    pending = (Notification.emailed_at.is_(None)) & (Notification.email_due_at <= now)
    pairs = db.session.execute(
        select(Notification.user_id, Notification.job_id)
        .where(pending, Notification.email_skipped.is_(None) | (Notification.email_skipped == "digest"))
        .distinct()
    ).all()
    db.fresh_snapshot()
    made = 0
    for user_id, job_id in pairs:
        try:
            made += _compose(user_id, job_id, now)
        except _Raced:
            continue
    return made


class _Raced(Exception):
    """Another process emailed these notifications first; this transaction is rolled back."""


def _compose(user_id: int, job_id: int, now: datetime) -> int:
    """One email of everything waiting for this person in this job, once the oldest is due: the ones
    that came after it ride along (as Zulip batches), so a busy afternoon is one email, not one per
    notification as each one's delay runs out. Digest kinds wait for their hour."""
    with transaction() as tx:
        waiting = Notification.email_skipped.is_(None) | (
            (Notification.email_skipped == "digest") & (Notification.email_due_at <= now))
        rows = list(tx.session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.job_id == job_id,
                                       Notification.emailed_at.is_(None), waiting)
            .order_by(Notification.id)))
        user = tx.session.get(User, user_id)
        job = tx.session.get(Job, job_id)
        membership = tx.session.scalar(select(Membership).where(Membership.job_id == job_id,
                                                                Membership.user_id == user_id))
        if not rows or user is None or job is None:
            return 0
        modes = settings_for(tx.session, user_id)
        live_now = any(n.kind == "sessions" for n in rows) and tx.session.scalar(  # asked only when it matters
            select(LiveSession.id).where(LiveSession.job_id == job_id, LiveSession.ended_at.is_(None)).limit(1)) is not None
        send: list[Notification] = []
        digest = False
        for n in rows:
            reason = None
            if n.read_at is not None:
                reason = "read"
            elif membership is None:
                reason = "not_member"
            elif n.seq is not None and membership.last_read_seq >= n.seq:
                reason = "read"  # seen in the room since
                n.read_at = now
            elif modes[n.kind] == "off":
                reason = "off"
            elif n.kind == "sessions" and not live_now:
                reason = "ended"  # "went live" is no news once the session is over
            elif modes[n.kind] == "digest" and n.email_skipped != "digest":
                n.email_skipped, n.email_due_at = "digest", next_digest(now)  # wait for the digest
                continue
            if reason:
                n.email_skipped = reason
                continue
            digest = digest or n.email_skipped == "digest"
            send.append(n)
        if not send:
            return 0
        ids = [n.id for n in send]
        claimed = rowcount(tx.session.execute(
            update(Notification).where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
            .values(emailed_at=now)))
        if claimed != len(ids):
            raise _Raced()
        items = [{"title": n.title, "body": n.body, "url": n.url} for n in send]
        role = membership.role if membership else None
        # An anchor outside the server: money emails and digests carry the job's signed head, so a
        # history rewritten later contradicts mail already in both sides' inboxes (issue 11).
        anchor = sign_head(job, job.last_seq) if digest or any(n.kind == "money" for n in send) else None
        row = outbox.enqueue(
            tx, to=user.email, template="notifications", purpose="digest" if digest else "notifications",
            user_id=user.id, verified=user.email_verified_at is not None,
            reply_job=job.public_id if can(role, "message.post") else None,
            context={"items": items, "job_title": job.title, "digest": digest,
                     "reply_enabled": can(role, "message.post"), "anchor": anchor},
            now=now)
        tx.session.execute(update(Notification).where(Notification.id.in_(ids)).values(email_id=row.id))
    return 1


def email_sent_at(session: Any, notification: Notification) -> datetime | None:
    """When the email carrying this notification actually left (None: not yet, or never)."""
    from workspace.models import EmailOutbox

    if notification.email_id is None:
        return None
    return session.scalar(select(EmailOutbox.sent_at).where(EmailOutbox.id == notification.email_id))
