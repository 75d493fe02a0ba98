"""Reading a room's event log by seq cursor (the same wire form as live events)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from workspace.db import iso
from workspace.single_read import read_first
from workspace.domain import event_types
from workspace.domain.errors import Conflict, Invalid
from workspace.domain.ids import is_seq
from workspace.extensions import db
from workspace.models import Event, Job, User
from workspace.services.access import Seat, load_member
from workspace.services.wire import event_wire, with_excerpts


def parse_cursor(after: Any, limit: Any, page_max: int, name: str = "after") -> tuple[int, int]:
    """Validate a cursor (>= 0) and `limit` (1..page_max); strings from query args are accepted."""
    errors = {}
    try:
        after_n = int(after) if after not in (None, "") else 0
        if isinstance(after, bool) or not is_seq(after_n):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = "A sequence number of 0 or more."
        after_n = 0
    try:
        limit_n = int(limit) if limit not in (None, "") else page_max
        if isinstance(limit, bool) or not 1 <= limit_n <= page_max:
            raise ValueError
    except (TypeError, ValueError):
        errors["limit"] = f"Between 1 and {page_max}."
        limit_n = page_max
    if errors:
        raise Invalid("Bad cursor.", fields=errors)
    return after_n, limit_n


_LAST_SEQ = select(Job.__table__.c.last_seq).where(Job.__table__.c.id == bindparam("job"))


def events_page(job: Job | Seat, after: int, limit: int) -> dict[str, Any]:
    """Events with seq > after, at most `limit`, oldest first; `more` says fetch again.

    last_seq is read first and the page stops there, so the page and last_seq always agree.
    """
    # In the caller's snapshot when it has one open (HTTP), else as its own (a join, after fresh_snapshot:
    # the page is then read in a later snapshot, which has every event up to last_seq).
    last_seq = (read_first(_LAST_SEQ, {"job": job.id}) or (0,))[0] or 0
    if after >= last_seq:  # up to date (a fresh watcher, most rejoins): nothing to read
        return {"events": [], "last_seq": last_seq, "more": False}
    rows = db.session.execute(
        select(Event, User.name).outerjoin(User, User.id == Event.actor_id)
        .where(Event.job_id == job.id, Event.seq > after, Event.seq <= last_seq)
        .order_by(Event.seq).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    events = with_excerpts([wire(job, e, name) for e, name in rows[:limit]])
    return {"events": events, "last_seq": last_seq, "more": more}


def events_before(job: Job, before: int, limit: int) -> dict[str, Any]:
    """Older history for scroll-back: events with seq < before, returned oldest first."""
    rows = db.session.execute(
        select(Event, User.name).outerjoin(User, User.id == Event.actor_id)
        .where(Event.job_id == job.id, Event.seq < before).order_by(Event.seq.desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    events = with_excerpts([wire(job, e, name) for e, name in reversed(rows[:limit])])
    return {"events": events, "more": more}


def list_events(actor: User, job_id: str, after: Any, limit: Any, *, page_max: int,
                before: Any = None) -> dict[str, Any]:
    """Events after a cursor (catching up), or before one (scrolling back through history)."""
    job, _membership = load_member(db.session(), actor, job_id)
    after_n, limit_n = parse_cursor(after, limit, page_max)  # checked even when `before` wins
    if before not in (None, ""):
        before_n, limit_n = parse_cursor(before, limit, page_max, "before")
        page = events_before(job, before_n, limit_n)
        page["last_seq"] = db.session.scalar(select(Job.last_seq).where(Job.id == job.id))
        return page
    return events_page(job, after_n, limit_n)


def join_page(actor: User, job_id: str, after: Any, *, page_max: int, seat: Seat | None = None) -> dict[str, Any]:
    """The catch-up page for a socket that has just entered the room (after subscribing). `seat`: the
    membership as the socket holds it (loaded by its first action, kept current by pushed changes)."""
    job: Any = seat if seat is not None else load_member(db.session(), actor, job_id)[0]
    after_n, limit_n = parse_cursor(after, None, page_max)
    page = events_page(job, after_n, limit_n)
    if after_n > page["last_seq"]:
        # The client has seen events this server never wrote (e.g. a restored database).
        raise Conflict("Your copy of this room is ahead of the server; reload it.", code="resync_required")
    return page


def wire(job: Job | Seat, event: Event, actor_name: str | None) -> dict[str, Any]:
    """A stored event as sent, by the one serializer (services/wire.py); erased events carry what remains
    (their data was replaced when erased). Replies get their excerpt from `with_excerpts`."""
    actor = {"id": event.actor_id, "name": actor_name} if event.actor_id is not None else None
    return event_wire(job.public_id, event.seq, event.type, iso(event.at), actor, event.data)


def verify_chain(job_id: int) -> int | None:
    """Recompute the job's hash chain from the stored events; the first bad seq, or None.

    Events whose content was not erased must match their stored digest; erased ones are linked by
    their stored digest alone (the content it was made from is gone on purpose).
    """
    from workspace.domain.chain import first_broken_link

    job = db.session.get(Job, job_id)
    assert job is not None
    from workspace.domain import event_types as ev

    stored = list(db.session.scalars(select(Event).where(Event.job_id == job_id).order_by(Event.seq)))
    # message id -> seq of its last edit or delete whose own content is kept (and so checked)
    changed = {_message_id(e): e.seq for e in stored
               if e.erased_at is None and e.type in (ev.MESSAGE_EDITED, ev.MESSAGE_DELETED)}
    return first_broken_link(
        {"job": job.public_id, "seq": e.seq, "type": e.type, "at": iso(e.at), "actor_id": e.actor_id,
         "data": e.data, "data_digest": e.data_digest, "erased": _erasure_justified(e, changed),
         "prev_hash": e.prev_hash, "hash": e.hash}
        for e in stored
    )


def _message_id(event: Event) -> Any:
    message = event.data.get("message") if isinstance(event.data, dict) else None
    return message.get("id") if isinstance(message, dict) else None


def _erasure_justified(event: Event, changed: dict[Any, int]) -> bool:
    """Only a message's text is ever erased, and only once a later edit or delete of that message (whose
    own content is checked) says so; marking any other event erased hides nothing from verification."""
    from workspace.domain import event_types as ev

    if event.erased_at is None or event.type not in (ev.MESSAGE_POSTED, ev.MESSAGE_EDITED):
        return False
    message = event.data.get("message") or {}
    if message.get("body") or message.get("html"):
        return False
    return changed.get(message.get("id"), 0) > event.seq


SESSION_TYPES = (event_types.SESSION_PAUSED, event_types.SESSION_RESUMED, event_types.SESSION_ENDED)


def away_summary(actor: User, job_id: str) -> dict[str, Any] | None:
    """What happened since the actor last read the room (None on a first visit or when nothing did):
    counts of messages and progress by others, live sessions and their time, submissions in review."""
    from sqlalchemy import func

    from workspace.db import utcnow
    from workspace.models import LiveSession, Milestone

    job, membership = load_member(db.session(), actor, job_id)
    since = membership.last_read_seq
    if since == 0 or since >= job.last_seq:
        return None
    # Others' doings, and the system's, except what the system did to this person's own live session
    # (paused when their page reloaded, ended when it stayed away): a reload is not being away.
    own_session = (Event.type.in_(SESSION_TYPES) & Event.actor_id.is_(None)
                   & (Event.data[("session", "publisher", "id")].as_integer() == actor.id))
    counts = dict(db.session.execute(
        select(Event.type, func.count()).where(Event.job_id == job.id, Event.seq > since,
                                               (Event.actor_id.is_(None)) | (Event.actor_id != actor.id),
                                               ~own_session)
        .group_by(Event.type)).all())
    if not counts:
        return None
    last_seen_at = db.session.scalar(select(Event.at).where(Event.job_id == job.id, Event.seq == since))
    sessions = db.session.scalars(select(LiveSession).where(LiveSession.job_id == job.id,
                                                            LiveSession.started_at > last_seen_at)).all()
    now = utcnow()
    in_review = db.session.execute(
        select(Milestone.title, Milestone.review_due_at).where(Milestone.job_id == job.id, Milestone.state == "submitted")
    ).all()
    return {
        "since_seq": since, "events": sum(counts.values()),
        "messages": counts.get("message.posted", 0), "progress": counts.get("progress.posted", 0),
        "payments": counts.get("payment.sent", 0) + counts.get("payment.confirmed", 0),
        "sessions": len(sessions),
        "session_seconds": int(sum(((s.ended_at or now) - s.started_at).total_seconds() for s in sessions)),
        "live_now": any(s.ended_at is None for s in sessions),
        "in_review": [{"title": t, "review_due_at": iso(d) if d else None} for t, d in in_review],
    }
