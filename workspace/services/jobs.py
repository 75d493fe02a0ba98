"""Creating jobs and reading them as a member: the job page, the API and the dashboard."""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from workspace.action_limits import take_slot
from workspace.db import iso, transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Invalid
from workspace.domain.roles import FREELANCER
from workspace.extensions import db
from workspace.models import Agreement, Job, LiveSession, Membership, Milestone, User
from workspace.services import ledger
from workspace.services.access import load_member
from workspace.services.members import unread_counts
from workspace.services.views import job_summary, job_view, user_ref
from workspace.tokens import public_id

OPEN_STATES = ("planned", "submitted", "changes_requested")


def _validate_job(title: Any, description: Any) -> tuple[str, str]:
    errors = {}
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        errors["title"] = "Give the job a title."
    elif len(title) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if description is None:
        description = ""
    if not isinstance(description, str):
        errors["description"] = "The description must be text."
        description = ""
    elif len(description.strip()) > 2000:
        errors["description"] = "Keep the description under 2,000 characters."
    if errors:
        raise Invalid("Please correct the highlighted fields.", fields=errors)
    return title, description.strip()


def create_job(actor: User, title: Any, description: Any = "") -> dict[str, Any]:
    """The actor becomes the job's freelancer (owner); the room starts with `job.created`."""
    title, description = _validate_job(title, description)
    take_slot("job_create", actor.id, current_app.config)
    with transaction() as tx:
        job = Job(public_id=public_id(), title=title, description=description)
        tx.session.add(job)
        tx.session.flush()
        membership = Membership(job_id=job.id, user_id=actor.id, role=FREELANCER)
        tx.session.add(membership)
        owner = tx.session.get(User, actor.id)
        if owner is not None and owner.profile_id is None:
            owner.profile_id = public_id()  # freelancing gives a public profile
        tx.session.flush()
        tx.record(job, ev.JOB_CREATED, {
            "title": title, "description": description, "freelancer": user_ref(actor),
        }, actor)
        view = job_view(tx.session, job, membership)
    return view


def get_job(actor: User, job_id: str) -> dict[str, Any]:
    """A member's view of the job. Reads do not write: auto-approval is scheduled work (workspace/tasks.py),
    which first makes sure the clients were warned."""
    job, membership = load_member(db.session(), actor, job_id)
    return job_view(db.session(), job, membership)


def list_jobs(actor: User) -> list[dict[str, Any]]:
    """The actor's jobs with role, status, deadline, next milestone and amount owed."""
    rows = db.session.execute(
        select(Job, Membership.role).join(Membership, Membership.job_id == Job.id)
        .where(Membership.user_id == actor.id).order_by(Job.created_at.desc())
    ).all()
    if not rows:
        return []
    job_ids = [job.id for job, _ in rows]
    in_force = {
        a.job_id: a for a in db.session.scalars(
            select(Agreement).where(Agreement.job_id.in_(job_ids), Agreement.status == "in_force")
        )
    }
    pending = set(db.session.scalars(
        select(Agreement.job_id).where(Agreement.job_id.in_(job_ids), Agreement.status == "proposed")
    ))
    milestones: dict[int, list[Milestone]] = {}
    for m in db.session.scalars(
        select(Milestone).where(Milestone.job_id.in_(job_ids)).order_by(Milestone.position)
    ):
        milestones.setdefault(m.job_id, []).append(m)
    unread = unread_counts(actor, job_ids)
    owed = {job_id: b["owed"] for job_id, b in ledger.balances_of_jobs(db.session(), job_ids).items()}
    live = dict(db.session.execute(select(LiveSession.job_id, LiveSession.started_at)
                                   .where(LiveSession.job_id.in_(job_ids), LiveSession.ended_at.is_(None))).all())
    result = []
    for job, role in rows:
        agreement = in_force.get(job.id)
        ms = milestones.get(job.id, [])
        upcoming = next((m for m in ms if m.state in OPEN_STATES), None)
        summary = job_summary(job)
        summary.update({
            "role": role,
            "deadline": agreement.terms["deadline"] if agreement else None,
            "currency": agreement.terms["currency"] if agreement else None,
            "has_pending_agreement": job.id in pending,
            "next_milestone": {
                "title": upcoming.title, "due": upcoming.due.isoformat(), "amount": upcoming.amount,
                "state": upcoming.state,
            } if upcoming else None,
            "owed": owed.get(job.id, 0),
            "unread": unread.get(job.id, 0),
            "live_since": iso(live[job.id]) if job.id in live else None,
        })
        result.append(summary)
    return result
