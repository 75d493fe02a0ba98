"""Loading a job as a given member, and refusing what their role may not do."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.domain.errors import Forbidden, NotFound
from workspace.domain.roles import can
from workspace.models import Job, Membership, User

JOB_NOT_FOUND = "No such job, or you are not a member of it."


def load_member(session: Session, actor: User, public_id: str, *, lock: bool = False) -> tuple[Job, Membership]:
    """The job and the actor's membership; NotFound for outsiders (existence is not leaked)."""
    if not isinstance(public_id, str) or not public_id or len(public_id) > 64:
        raise NotFound(JOB_NOT_FOUND)
    query = select(Job).where(Job.public_id == public_id)
    if lock:
        query = query.with_for_update()
    job = session.scalar(query)
    if job is None:
        raise NotFound(JOB_NOT_FOUND)
    membership = session.scalar(
        select(Membership).where(Membership.job_id == job.id, Membership.user_id == actor.id)
    )
    if membership is None:
        raise NotFound(JOB_NOT_FOUND)
    return job, membership


def require(membership: Membership, action: str, message: str | None = None) -> None:
    """Raise Forbidden unless the member's role allows `action`."""
    if not can(membership.role, action):
        raise Forbidden(message or f"As a {membership.role} in this job you cannot do that.")
