"""The work diary: screen snapshots taken while live, and the record of sessions for those who
were not watching (by day, week and milestone; CSV for the books)."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Any, Callable

from sqlalchemy import select

from workspace import storage
from workspace.domain.ids import is_id
from workspace.db import iso, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workspace.extensions import db
from workspace.models import Attachment, Job, LiveSession, Membership, Milestone, ProgressUpdate, Snapshot, User
from workspace.services.access import load_member, require
from workspace.services.live import active, live_view
from workspace.tokens import public_id


def snapshot_view(s: Snapshot, a: Attachment) -> dict[str, Any]:
    return {"id": s.id, "session_id": s.session_id, "taken_at": iso(s.taken_at), "url": f"/files/{a.public_id}",
            "thumb_url": f"/files/{a.public_id}/thumb" if a.thumb_name else None, "deleted": s.deleted_at is not None}


def add_snapshot(actor: User, job_id: str, session_id: Any, open_file: Callable[[], tuple[IO[bytes] | None, Any]],
                 *, directory: Path, max_bytes: int) -> dict[str, Any]:
    """Store a JPEG of the shared screen for the open session (only from the publisher)."""
    job, membership = load_member(db.session(), actor, job_id)
    require(membership, "live.publish", "Only the freelancer's page takes snapshots.")
    s = active(db.session(), job.id)
    if s is None or s.id != session_id:
        raise Conflict("Snapshots are taken during a live session.", code="not_live")
    if job.snapshot_seconds == 0:
        raise Conflict("Snapshots are off for this job.", code="snapshots_off")
    stream, _name = open_file()
    if stream is None:
        raise Invalid("Send the image as the 'file' field.", fields={"file": "Missing."})
    stored = storage.save_stream(stream, directory, max_bytes)
    try:
        if stored.content_type not in ("image/jpeg", "image/png", "image/webp"):
            raise Invalid("A snapshot is a JPEG, PNG or WebP image.", fields={"file": "Not an image."})
        with transaction() as tx:
            job, membership = load_member(tx.session, actor, job_id)
            attachment = Attachment(public_id=public_id(), job_id=job.id, uploader_id=actor.id,
                                    filename=f"snapshot-{utcnow():%Y%m%d-%H%M%S}.jpg", content_type=stored.content_type,
                                    size=stored.size, storage_name=stored.storage_name, thumb_name=stored.thumb_name,
                                    width=stored.width, height=stored.height)
            tx.session.add(attachment)
            tx.session.flush()
            snapshot = Snapshot(session_id=session_id, job_id=job.id, attachment_id=attachment.id)
            tx.session.add(snapshot)
            tx.session.flush()
            view = snapshot_view(snapshot, attachment)
            tx.record(job, ev.SNAPSHOT_TAKEN, {"snapshot": view}, actor)
    except BaseException:
        storage.remove(directory, stored.storage_name, stored.thumb_name)
        raise
    return view


def delete_snapshot(actor: User, snapshot_id: Any, *, grace_minutes: float, directory: Path) -> dict[str, Any]:
    """The freelancer removes a snapshot within the grace period; the file is erased, the room is told."""
    if not is_id(snapshot_id):
        raise NotFound("No such snapshot.")
    with transaction() as tx:
        snapshot = tx.session.scalar(select(Snapshot).where(Snapshot.id == snapshot_id).with_for_update())
        if snapshot is None or snapshot.deleted_at is not None:
            raise NotFound("No such snapshot.")
        member = tx.session.scalar(select(Membership).where(Membership.job_id == snapshot.job_id,
                                                            Membership.user_id == actor.id))
        if member is None:
            raise NotFound("No such snapshot.")
        if member.role != "freelancer":
            raise Forbidden("Only the freelancer can delete a snapshot.")
        if utcnow() - snapshot.taken_at > timedelta(minutes=grace_minutes):
            raise Forbidden(f"Snapshots can be deleted for {grace_minutes:g} minutes after they are taken.",
                            code="grace_period_over")
        attachment = tx.session.get(Attachment, snapshot.attachment_id)
        assert attachment is not None
        snapshot.deleted_at = utcnow()
        files = (attachment.storage_name, attachment.thumb_name)
        attachment.thumb_name = None
        tx.session.flush()
        job_row = tx.session.get(Job, snapshot.job_id)
        view = {"id": snapshot.id, "session_id": snapshot.session_id, "deleted": True}
        tx.record(job_row, ev.SNAPSHOT_DELETED, {"snapshot": view}, actor)
    storage.remove(directory, *files)
    return view


def _week(moment: Any) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def diary(actor: User, job_id: str, *, grace_minutes: float, zone: tzinfo = timezone.utc) -> dict[str, Any]:
    """Sessions by day with their snapshots and the progress posted during them; totals by week and milestone.
    Days and weeks are the viewer's (`zone`): a session at 21:00 in New York is that day's, not the next."""
    job, membership = load_member(db.session(), actor, job_id)
    sessions = db.session.scalars(select(LiveSession).where(LiveSession.job_id == job.id)
                                  .order_by(LiveSession.started_at.desc())).all()
    publishers = {s.publisher_id for s in sessions}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(publishers))).all())
    titles = dict(db.session.execute(select(Milestone.id, Milestone.title).where(Milestone.job_id == job.id)).all())
    shots = defaultdict(list)
    for snapshot, attachment in db.session.execute(
            select(Snapshot, Attachment).join(Attachment, Attachment.id == Snapshot.attachment_id)
            .where(Snapshot.job_id == job.id, Snapshot.deleted_at.is_(None)).order_by(Snapshot.taken_at)):
        view = snapshot_view(snapshot, attachment)
        view["deletable"] = membership.role == "freelancer" and \
            utcnow() - snapshot.taken_at <= timedelta(minutes=grace_minutes)
        shots[snapshot.session_id].append(view)
    updates = db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.job_id == job.id)
                                 .order_by(ProgressUpdate.created_at)).all()
    now = utcnow()
    days: dict[str, dict[str, Any]] = {}
    weeks: dict[str, int] = defaultdict(int)
    per_milestone: dict[str, int] = defaultdict(int)
    for s in sessions:
        end = s.ended_at or now
        seconds = int((end - s.started_at).total_seconds())
        title = titles.get(s.milestone_id) if s.milestone_id is not None else None
        view = live_view(s, names.get(s.publisher_id), title)
        view["seconds"] = seconds
        view["snapshots"] = shots.get(s.id, [])
        view["progress"] = [{"percent": u.percent, "note": u.note, "at": iso(u.created_at)}
                            for u in updates if s.started_at <= u.created_at <= end]
        local_start = s.started_at.astimezone(zone)
        day = local_start.date().isoformat()
        bucket = days.setdefault(day, {"day": day, "sessions": [], "seconds": 0})
        bucket["sessions"].append(view)
        bucket["seconds"] += seconds
        weeks[_week(local_start)] += seconds
        per_milestone[title or "No milestone"] += seconds
    return {
        "days": list(days.values()), "total_seconds": sum(d["seconds"] for d in days.values()),
        "weeks": [{"week": w, "seconds": n} for w, n in sorted(weeks.items(), reverse=True)],
        "milestones": [{"milestone": m, "seconds": n} for m, n in sorted(per_milestone.items())],
        "snapshot_seconds": job.snapshot_seconds, "role": membership.role, "title": job.title, "id": job.public_id,
        "time_zone": str(zone),
    }


def diary_csv(actor: User, job_id: str, zone: tzinfo = timezone.utc) -> str:
    """One row per session: for invoices and timesheets (the date in `zone`, the times in UTC)."""
    data = diary(actor, job_id, grace_minutes=0, zone=zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "started_at", "ended_at", "minutes", "title", "milestone", "snapshots",
                     "progress_updates", "ended_reason"])
    for day in reversed(data["days"]):
        for s in reversed(day["sessions"]):
            writer.writerow([day["day"], s["started_at"], s["ended_at"] or "", round(s["seconds"] / 60, 1),
                             _safe(s["title"]), _safe(s["milestone"]["title"] if s["milestone"] else ""),
                             len(s["snapshots"]), _safe("; ".join(f"{p['percent']}% {p['note']}".strip() for p in s["progress"])),
                             s["ended_reason"] or ("live" if s["live"] else "")])
    return out.getvalue()


def _safe(text: str) -> str:
    """No spreadsheet formula injection: a cell never starts with = + - @."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
