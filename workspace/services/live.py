"""Live work sessions: start, pause, resume (also after a page reload), stop, and the server's own
clean-up when a publisher goes silent. Every change is a room event; signalling is not stored."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.domain.ids import is_id
from workspace.db import Transaction, iso, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Invalid, NotFound
from workspace.extensions import db
from workspace.models import Job, LiveSession, Milestone, User
from workspace.services.access import load_member, require

SNAPSHOT_CHOICES = (0, 300, 600, 900, 1800, 3600)  # what the page offers; the API takes 0 or 5..3600


def live_view(s: LiveSession, publisher_name: str | None = None, milestone_title: str | None = None) -> dict[str, Any]:
    end = s.ended_at
    return {
        "id": s.id, "title": s.title, "started_at": iso(s.started_at), "ended_at": iso(end) if end else None,
        "ended_reason": s.ended_reason, "paused": s.paused, "live": end is None,
        "publisher": {"id": s.publisher_id, "name": publisher_name}, "publisher_sid": s.publisher_sid,
        "milestone": {"id": s.milestone_id, "title": milestone_title} if s.milestone_id else None,
        "duration_seconds": int((end - s.started_at).total_seconds()) if end else None,
    }


def session_view(session: Session, s: LiveSession) -> dict[str, Any]:
    name = session.scalar(select(User.name).where(User.id == s.publisher_id))
    title = session.scalar(select(Milestone.title).where(Milestone.id == s.milestone_id)) if s.milestone_id else None
    return live_view(s, name, title)


def active(session: Session, job_id: int, *, lock: bool = False) -> LiveSession | None:
    query = select(LiveSession).where(LiveSession.job_id == job_id, LiveSession.ended_at.is_(None))
    return session.scalar(query.with_for_update() if lock else query)


def current(actor: User, job_id: str) -> dict[str, Any] | None:
    """The job's live session, if any (members only)."""
    job, _membership = load_member(db.session(), actor, job_id)
    s = active(db.session(), job.id)
    return session_view(db.session(), s) if s else None


def start_session(actor: User, job_id: str, sid: str, title: Any = "", milestone_id: Any = None) -> dict[str, Any]:
    """The freelancer goes live from socket `sid`."""
    if title is None:
        title = ""
    if not isinstance(title, str) or len(title) > 200:
        raise Invalid("The title is text up to 200 characters.", fields={"title": "Too long."})
    if milestone_id is not None and not is_id(milestone_id):
        raise Invalid("milestone_id is a milestone id.", fields={"milestone_id": "Invalid."})
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "live.publish", "Only the freelancer goes live.")
        if job.status == "completed":
            raise Conflict("This job is complete: there is no work left to share live.", code="job_completed")
        if active(tx.session, job.id) is not None:
            raise Conflict("You are already live in this job; resume or stop that session.", code="already_live")
        if milestone_id is not None and tx.session.scalar(
                select(Milestone.id).where(Milestone.id == milestone_id, Milestone.job_id == job.id)) is None:
            raise NotFound("That milestone is not part of this job.")
        s = LiveSession(job_id=job.id, publisher_id=actor.id, title=title.strip(), milestone_id=milestone_id,
                        publisher_sid=sid, last_heartbeat_at=utcnow())
        tx.session.add(s)
        tx.session.flush()
        view = session_view(tx.session, s)
        tx.record(job, ev.SESSION_STARTED, {"session": view, "snapshot_seconds": job.snapshot_seconds}, actor)
    return view


def _mine(tx: Transaction, actor: User, job_id: str) -> tuple[Job, LiveSession]:
    job, membership = load_member(tx.session, actor, job_id, lock=True)
    require(membership, "live.publish", "Only the freelancer controls the live session.")
    s = active(tx.session, job.id, lock=True)
    if s is None:
        raise Conflict("There is no live session in this job.", code="not_live")
    return job, s


def resume_session(actor: User, job_id: str, sid: str) -> dict[str, Any]:
    """Publish again, from this socket (after a pause, or after the page was reloaded)."""
    with transaction() as tx:
        job, s = _mine(tx, actor, job_id)
        s.publisher_sid, s.paused, s.last_heartbeat_at = sid, False, utcnow()
        tx.session.flush()
        view = session_view(tx.session, s)
        tx.record(job, ev.SESSION_RESUMED, {"session": view}, actor)
    return view


def pause_session(actor: User, job_id: str) -> dict[str, Any]:
    """Stop showing the screen without ending the session: watchers see a paused card."""
    with transaction() as tx:
        job, s = _mine(tx, actor, job_id)
        if not s.paused:
            s.paused = True
            tx.session.flush()
            tx.record(job, ev.SESSION_PAUSED, {"session": session_view(tx.session, s), "reason": "paused"}, actor)
        view = session_view(tx.session, s)
    return view


def stop_session(actor: User, job_id: str) -> dict[str, Any]:
    with transaction() as tx:
        job, s = _mine(tx, actor, job_id)
        view = _end(tx, job, s, "stopped", actor)
    return view


def _end(tx: Transaction, job: Job, s: LiveSession, reason: str, actor: User | None, at: Any = None) -> dict[str, Any]:
    s.ended_at, s.ended_reason, s.publisher_sid, s.paused = at or utcnow(), reason, None, False
    tx.session.flush()
    view = session_view(tx.session, s)
    tx.record(job, ev.SESSION_ENDED, {"session": view, "duration_seconds": view["duration_seconds"], "reason": reason},
              actor)
    return view


def heartbeat(actor: User, job_id: str, sid: str) -> bool:
    """The publishing socket is alive. False when this socket is not the publisher (anymore)."""
    with transaction() as tx:
        job, s = _mine(tx, actor, job_id)
        if s.publisher_sid != sid:
            return False
        s.last_heartbeat_at = utcnow()
    return True


def publisher_gone(sid: str) -> int:
    """The publishing socket disconnected (tab closed, reload, network): pause until it resumes or times out."""
    ids = list(db.session.scalars(select(LiveSession.id).where(LiveSession.publisher_sid == sid,
                                                               LiveSession.ended_at.is_(None))))
    for session_id in ids:
        with transaction() as tx:
            s = tx.session.scalar(select(LiveSession).where(LiveSession.id == session_id).with_for_update())
            if s is None or s.ended_at is not None or s.publisher_sid != sid:
                continue
            job = tx.session.get(Job, s.job_id)
            assert job is not None
            # The disconnect is the last sign of life: a tab closed for good ends the session at this moment.
            s.publisher_sid, s.paused, s.last_heartbeat_at = None, True, utcnow()
            tx.session.flush()
            tx.record(job, ev.SESSION_PAUSED, {"session": session_view(tx.session, s), "reason": "disconnected"}, None)
    return len(ids)


def end_silent(timeout_seconds: float) -> int:
    """End every session whose publisher sent no heartbeat for `timeout_seconds` (never live forever)."""
    cutoff = utcnow() - timedelta(seconds=timeout_seconds)
    ids = list(db.session.scalars(select(LiveSession.id).where(LiveSession.ended_at.is_(None),
                                                               LiveSession.last_heartbeat_at < cutoff)))
    for session_id in ids:
        with transaction() as tx:
            s = tx.session.scalar(select(LiveSession).where(LiveSession.id == session_id).with_for_update())
            if s is None or s.ended_at is not None or s.last_heartbeat_at >= cutoff:
                continue
            job = tx.session.get(Job, s.job_id)
            assert job is not None
            _end(tx, job, s, "no_heartbeat", None, at=s.last_heartbeat_at)
    return len(ids)


def set_snapshot_interval(actor: User, job_id: str, seconds: Any) -> dict[str, Any]:
    """How often the freelancer's page snapshots the shared screen (0 = off); the client sees it."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not (seconds == 0 or 5 <= seconds <= 3600):
        raise Invalid("Snapshots every 5 to 3600 seconds, or 0 for off.", fields={"snapshot_seconds": "Invalid."})
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "live.publish", "Only the freelancer sets the work diary.")
        if job.snapshot_seconds != seconds:
            job.snapshot_seconds = seconds
            tx.session.flush()
            tx.record(job, ev.DIARY_SETTINGS_CHANGED, {"snapshot_seconds": seconds}, actor)
    return {"snapshot_seconds": seconds}
