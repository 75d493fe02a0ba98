"""The job's milestones follow the plan of the agreement in force (planned ones only)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import utcnow
from workspace.models import Job, Milestone
from workspace.services.views import milestone_view


def apply_plan(session: Session, job: Job, version: int, terms: dict[str, Any]) -> list[dict[str, Any]]:
    """Make the job's milestones match the plan; anything past `planned` is never touched."""
    from workspace.services.disputes import settled_milestone_ids

    existing = {m.position: m for m in session.scalars(select(Milestone).where(Milestone.job_id == job.id))}
    settled = settled_milestone_ids(session, job.id)  # a settlement is final: never planned again
    now = utcnow()
    for position, planned in enumerate(terms["milestones"]):
        fields = {
            "title": planned["title"], "amount": planned["amount"], "currency": terms["currency"],
            "due": date.fromisoformat(planned["due"]), "criteria": list(planned["criteria"]),
            "revisions_included": planned["revisions"], "agreement_version": version,
        }
        milestone = existing.get(position)
        if milestone is None:
            session.add(Milestone(job_id=job.id, position=position, state="planned", **fields))
        elif milestone.state == "planned" or (milestone.state == "cancelled" and milestone.id not in settled):
            for key, value in fields.items():
                setattr(milestone, key, value)
            milestone.state, milestone.updated_at = "planned", now
    for position, milestone in existing.items():
        if position >= len(terms["milestones"]) and milestone.state == "planned":
            milestone.state, milestone.updated_at = "cancelled", now
    session.flush()
    ordered = session.scalars(select(Milestone).where(Milestone.job_id == job.id).order_by(Milestone.position))
    return [milestone_view(m) for m in ordered]
