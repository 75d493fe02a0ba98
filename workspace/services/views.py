"""Read models: the dicts that the API, the pages and the room events all share."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import iso
from workspace.domain import agreement as terms_rules
from workspace.models import Acceptance, Agreement, Job, Membership, Milestone, ProgressUpdate, User


def user_ref(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "email": user.email, "created_at": iso(user.created_at)}


def agreement_view(session: Session, agreement: Agreement) -> dict[str, Any]:
    """One version with its terms, totals and who accepted it."""
    names = _names(session, [agreement.proposed_by_id])
    acceptances = session.execute(
        select(Acceptance, User.name).join(User, User.id == Acceptance.user_id)
        .where(Acceptance.agreement_id == agreement.id).order_by(Acceptance.id)
    ).all()
    return {
        "version": agreement.version,
        "status": agreement.status,
        "terms": agreement.terms,
        "terms_hash": agreement.terms_hash,
        "total": terms_rules.total(agreement.terms),
        "upfront_due": terms_rules.upfront_due(agreement.terms),
        "proposed_by": {"id": agreement.proposed_by_id, "name": names.get(agreement.proposed_by_id)},
        "proposed_at": iso(agreement.proposed_at),
        "in_force_at": iso(agreement.in_force_at) if agreement.in_force_at else None,
        "acceptances": [
            {"user": {"id": a.user_id, "name": name}, "role": a.role, "at": iso(a.accepted_at),
             "terms_hash": a.terms_hash}
            for a, name in acceptances
        ],
    }


def milestone_view(m: Milestone) -> dict[str, Any]:
    return {
        "id": m.id, "position": m.position, "title": m.title, "amount": m.amount,
        "currency": m.currency, "due": m.due.isoformat(), "state": m.state,
        "criteria": list(m.criteria or []), "revisions_included": m.revisions_included,
        "revisions_used": m.revisions_used,
    }


def members_view(session: Session, job: Job) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Membership, User.name).join(User, User.id == Membership.user_id)
        .where(Membership.job_id == job.id).order_by(Membership.id)
    ).all()
    return [{"id": m.user_id, "name": name, "role": m.role, "joined_at": iso(m.joined_at),
             "last_read_seq": m.last_read_seq} for m, name in rows]


def progress_view(session: Session, job: Job, in_force: Agreement | None) -> dict[str, Any]:
    """Overall percent, the last update's time, and when the next one is due by the promised cadence."""
    last = session.scalar(select(ProgressUpdate).where(ProgressUpdate.job_id == job.id)
                          .order_by(ProgressUpdate.id.desc()).limit(1))
    every = in_force.terms["update_every_hours"] if in_force else None
    since = last.created_at if last else (in_force.in_force_at if in_force else None)
    return {
        "percent": last.percent if last else 0,
        "last_update_at": iso(last.created_at) if last else None,
        "update_every_hours": every,
        "next_update_due": iso(since + timedelta(hours=every)) if every and since else None,
    }


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.public_id, "title": job.title, "description": job.description,
        "status": job.status, "created_at": iso(job.created_at), "last_seq": job.last_seq,
    }


def job_view(session: Session, job: Job, membership: Membership) -> dict[str, Any]:
    """Everything a member sees of a job: members, terms in force and pending, milestones."""
    versions = session.scalars(
        select(Agreement).where(Agreement.job_id == job.id, Agreement.status.in_(("in_force", "proposed")))
    ).all()
    in_force = next((a for a in versions if a.status == "in_force"), None)
    pending = next((a for a in versions if a.status == "proposed"), None)
    milestones = session.scalars(
        select(Milestone).where(Milestone.job_id == job.id).order_by(Milestone.position)
    ).all()
    view = job_summary(job)
    view.update({
        "role": membership.role,
        "members": members_view(session, job),
        "agreement": agreement_view(session, in_force) if in_force else None,
        "pending_agreement": agreement_view(session, pending) if pending else None,
        "milestones": [milestone_view(m) for m in milestones],
        "progress": progress_view(session, job, in_force),
        "last_read_seq": membership.last_read_seq,
    })
    return view


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())
