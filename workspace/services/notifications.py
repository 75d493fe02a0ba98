"""Notifications: made from room events by one rule table, in the event's own transaction; listed,
read (also by reading the room), pushed live to each person's sockets, and tuned per kind."""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from workspace.db import RECORD_HOOKS, Transaction, iso, rowcount, table_of, transaction, utcnow
from workspace.domain import notify_rules
from workspace.domain.errors import Invalid, NotFound
from workspace.domain.notify_text import describe
from workspace.extensions import db
from workspace.models import Job, Membership, Notification, NotificationSetting, User

PAGE_MAX = 100
DEFAULT_EMAIL_DELAY = 600


def email_delay() -> float:
    """Seconds a notification waits, unread, before it is emailed (NOTIFY_EMAIL_DELAY)."""
    if has_app_context():
        return float(current_app.config.get("NOTIFY_EMAIL_DELAY", DEFAULT_EMAIL_DELAY))
    return DEFAULT_EMAIL_DELAY


def watching_room(job_public_id: str) -> str:
    """The socket room of a job's sockets whose page is in view (the realtime layer keeps it)."""
    return f"watching:{job_public_id}"


def room_url(job_public_id: str, seq: int | None) -> str:
    """The path that opens the room at one event."""
    if seq is None:
        return f"/jobs/{job_public_id}/"
    return f"/jobs/{job_public_id}/?event={seq}#event-{seq}"


def notification_view(n: Notification, job_public_id: str) -> dict[str, Any]:
    return {
        "id": n.id, "job": job_public_id, "seq": n.seq, "kind": n.kind, "title": n.title, "body": n.body,
        "url": n.url, "at": iso(n.created_at), "read": n.read_at is not None,
    }


def unread_count(session: Session, user_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0)


def _push(tx: Transaction, user_id: int, view: dict[str, Any]) -> None:
    tx.signal(f"user:{user_id}", "notification",
              {"notification": view, "unread": unread_count(tx.session, user_id)})


@lru_cache(maxsize=None)
def _statements() -> dict[str, Any]:
    """The record hook's statements, built once."""
    m, n = Membership.__table__.c, Notification.__table__.c
    unread = select(func.count()).where(n.user_id == m.user_id, n.read_at.is_(None)).scalar_subquery()
    return {
        # Each member with their unread count so far (an index-only count): a recipient's count once
        # told is this + 1, with no second query (the writes of this job are serialized by its row).
        "members": select(m.user_id, m.role, m.last_read_seq, unread).where(m.job_id == bindparam("job")),
        "insert": insert(table_of(Notification)).returning(n.id, sort_by_parameter_order=True),
    }


def on_event_recorded(tx: Transaction, job: Any, wires: list[dict[str, Any]]) -> None:
    """The record hook: one notification per member the rule table names (never the actor).

    It runs for every room event (or run of one person's events, written together), so it stays at two
    statements however many people are told: the members with their unread counts, and one multi-row
    INSERT of the notifications."""
    wires = [w for w in wires if w["type"] in notify_rules.RULES]
    if not wires:
        return
    conn = tx.session.connection()
    statements = _statements()
    members = conn.execute(statements["members"], {"job": job.id}).all()
    unread = {user_id: int(count or 0) for user_id, _role, _seq, count in members}
    now = utcnow()
    due = now + timedelta(seconds=email_delay())
    rows, told = [], []
    for wire in wires:
        for row in _notifications_of(job, wire, members, now, due):
            unread[row["user_id"]] += 1
            rows.append(row)
            told.append(unread[row["user_id"]])
    if not rows:
        return
    ids = conn.execute(statements["insert"], rows).scalars().all()
    at = iso(now)
    for row, notification_id, count in zip(rows, ids, told):
        view = {"id": notification_id, "job": job.public_id, "seq": row["seq"], "kind": row["kind"],
                "title": row["title"], "body": row["body"], "url": row["url"], "at": at, "read": False}
        # Not to the person's sockets looking at this room now: the event itself tells them (and their
        # reading marks it read); their other pages, and a room in a background tab, are told.
        tx.signal(f"user:{row['user_id']}", "notification", {"notification": view, "unread": count},
                  skip_room=watching_room(job.public_id))


def _notifications_of(job: Any, wire: dict[str, Any], members: Any, now: datetime,
                      due: datetime) -> list[dict[str, Any]]:
    """The notification rows one event makes (the rule table decides who is told, and how)."""
    event_type, seq = wire["type"], wire["seq"]
    actor_id = (wire.get("actor") or {}).get("id")
    actor_role = next((role for uid, role, _seq, _unread in members if uid == actor_id), None)
    data = wire.get("data") or {}
    if event_type == "review.posted":
        subject = (data.get("review") or {}).get("about")  # the reviewed person's id
        members = [m for m in members if m[0] == subject]
    title, body = describe(event_type, data, (wire.get("actor") or {}).get("name"), job.title)
    rows = []
    for user_id, role, last_read, _unread in members:
        if user_id == actor_id or last_read >= seq:
            continue
        kind = notify_rules.recipients(event_type, actor_role, role, auto=bool(data.get("auto")))
        if kind is None:
            continue
        # The occasion cannot exist yet (the event's seq was just allocated): no lookup first.
        rows.append({"user_id": user_id, "job_id": job.id, "seq": seq, "kind": kind,
                     "occasion": f"event:{job.id}:{seq}", "title": title[:300], "body": body,
                     "url": room_url(job.public_id, seq), "created_at": now, "read_at": None,
                     "email_due_at": due, "emailed_at": None, "email_skipped": None, "email_id": None})
    return rows


def create(tx: Transaction, job: Any, user_id: int, kind: str, occasion: str, title: str, body: str,
           seq: int | None, email_due_at: datetime | None, now: datetime | None = None, *,
           fresh: bool = False) -> bool:
    """Store one notification (once per person and occasion) and push it live after commit.

    `fresh`: the occasion cannot exist yet (an event's seq was just allocated), so skip the lookup:
    this runs for every recipient of every room event."""
    if not fresh and tx.session.scalar(select(Notification.id).where(Notification.user_id == user_id,
                                                                     Notification.occasion == occasion)):
        return False
    row = Notification(user_id=user_id, job_id=job.id, seq=seq, kind=kind, occasion=occasion, title=title[:300],
                       body=body, url=room_url(job.public_id, seq), created_at=now or utcnow(),
                       email_due_at=email_due_at)
    tx.session.add(row)
    tx.session.flush()
    _push(tx, user_id, notification_view(row, job.public_id))
    return True


if on_event_recorded not in RECORD_HOOKS:
    RECORD_HOOKS.append(on_event_recorded)


# ---------------------------------------------------------------- reading and marking read

def _parse_page(unread: Any, before: Any, limit: Any) -> tuple[bool, int | None, int]:
    errors = {}
    only_unread = str(unread).lower() in ("1", "true", "yes") if unread not in (None, "") else False
    before_id = None
    if before not in (None, ""):
        try:
            before_id = int(before)
            if isinstance(before, bool) or before_id < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors["before"] = "A notification id of 1 or more."
    try:
        size = int(limit) if limit not in (None, "") else 20
        if isinstance(limit, bool) or not 1 <= size <= PAGE_MAX:
            raise ValueError
    except (TypeError, ValueError):
        errors["limit"] = f"Between 1 and {PAGE_MAX}."
        size = 20
    if errors:
        raise Invalid("Bad page request.", fields=errors)
    return only_unread, before_id, size


def list_notifications(actor: User, unread: Any = None, before: Any = None, limit: Any = None) -> dict[str, Any]:
    """Newest first, paged by id (`before`); with the unread count and whether more exist."""
    only_unread, before_id, size = _parse_page(unread, before, limit)
    query = (select(Notification, Job.public_id).join(Job, Job.id == Notification.job_id)
             .where(Notification.user_id == actor.id))
    if only_unread:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    rows = db.session.execute(query.order_by(Notification.id.desc()).limit(size + 1)).all()
    return {
        "notifications": [notification_view(n, job) for n, job in rows[:size]],
        "unread": unread_count(db.session(), actor.id),
        "more": len(rows) > size,
    }


def mark_read(actor: User, ids: Any = None, all_: Any = False) -> dict[str, Any]:
    """Mark some (`ids`) or every notification of the actor read; other tabs hear the new count."""
    if all_ is not True and all_ not in (None, False):
        raise Invalid("all is true or false.", fields={"all": "true or false."})
    if all_ is not True:
        if not isinstance(ids, list) or not ids or len(ids) > 500 or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise Invalid("Send {\"ids\": [...]} (1 to 500 notification ids) or {\"all\": true}.",
                          fields={"ids": "A list of notification ids."})
    with transaction() as tx:
        query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        if all_ is not True:
            query = query.where(Notification.id.in_(ids))
        changed = rowcount(tx.session.execute(query.values(read_at=utcnow())))
        count = unread_count(tx.session, actor.id)
        if changed:
            tx.signal(f"user:{actor.id}", "notifications_read", {"unread": count})
    return {"marked": changed, "unread": count}


def mark_read_through(tx: Transaction, user_id: int, job_id: int, seq: int) -> None:
    """Reading the room up to `seq` reads its notifications too (and skips their emails)."""
    changed = rowcount(tx.session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.job_id == job_id,
                                   Notification.seq <= seq, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ))
    if changed:
        tx.signal(f"user:{user_id}", "notifications_read", {"unread": unread_count(tx.session, user_id)})


# ---------------------------------------------------------------- settings

def settings_for(session: Session, user_id: int) -> dict[str, str]:
    """kind -> mode for one person (defaults filled in)."""
    stored = dict(session.execute(select(NotificationSetting.kind, NotificationSetting.mode)
                                  .where(NotificationSetting.user_id == user_id)).all())
    return {kind: stored.get(kind, notify_rules.DEFAULT_MODE) for kind in notify_rules.KINDS}


def settings_view(session: Session, user_id: int) -> dict[str, Any]:
    modes = settings_for(session, user_id)
    return {
        "settings": modes,
        "kinds": [{"kind": k, "label": label, "mode": modes[k], "protected": k in notify_rules.PROTECTED,
                   "modes": [m for m in notify_rules.MODES if notify_rules.mode_allowed(k, m)]}
                  for k, label in notify_rules.KINDS.items()],
    }


def get_settings(actor: User) -> dict[str, Any]:
    return settings_view(db.session(), actor.id)


def update_settings(actor: User, body: Any) -> dict[str, Any]:
    """Set modes per kind: {"settings": {kind: "immediate" | "digest" | "off"}} (all at once or some)."""
    return update_settings_for(actor.id, body)


PROTECTED_WORDING = "These protect you: they can wait for the digest but cannot be turned off."


def update_settings_for(user_id: int, body: Any) -> dict[str, Any]:
    """The same for a person identified by a signed link (the email's preferences page)."""
    changes = body.get("settings") if isinstance(body, dict) else None
    if not isinstance(changes, dict) or not changes:
        raise Invalid("Send {\"settings\": {kind: mode}}.", fields={"settings": "Required."})
    errors = {}
    for kind, mode in changes.items():
        if kind not in notify_rules.KINDS:
            errors[str(kind)[:50]] = "Unknown kind."
        elif not isinstance(mode, str) or mode not in notify_rules.MODES:
            errors[kind] = "One of: immediate, digest, off."
        elif not notify_rules.mode_allowed(kind, mode):
            errors[kind] = PROTECTED_WORDING
    if errors:
        raise Invalid("Some settings cannot be used.", fields=errors)
    with transaction() as tx:
        for kind, mode in changes.items():
            row = tx.session.get(NotificationSetting, (user_id, kind))
            if row is None:
                tx.session.add(NotificationSetting(user_id=user_id, kind=kind, mode=mode))
            else:
                row.mode = mode
        tx.session.flush()
        view = settings_view(tx.session, user_id)
    return view


def unsubscribe(user_id: int, kind: str | None) -> dict[str, Any]:
    """One-click unsubscribe: that kind off (or every kind that may be off); protected ones go to the digest."""
    kinds = [kind] if kind in notify_rules.KINDS else list(notify_rules.KINDS)
    changes = {k: ("digest" if k in notify_rules.PROTECTED else "off") for k in kinds}
    return update_settings_for(user_id, {"settings": changes})


# ---------------------------------------------------------------- reads for the pages

def count_unread(actor: User) -> int:
    """The actor's unread notifications (the bell's badge and the tab title)."""
    return unread_count(db.session(), actor.id)


def get_settings_for(user_id: int) -> dict[str, Any]:
    """Settings of a person identified by a signed link, with who they are; NotFound when the account is gone."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("This link belongs to an account that no longer exists.")
    return {"user": {"name": user.name, "email": user.email}, **settings_view(db.session(), user_id)}
