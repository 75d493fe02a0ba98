"""Loading a job as a given member, and refusing what their role may not do."""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.domain.ids import is_id
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


T = TypeVar("T")


def load_in_job(session: Session, actor: User, model: type[T], row_id: Any, not_found: str, *,
                lock: bool = False) -> tuple[T, Job, Membership]:
    """A row that belongs to a job (it has `job_id`), that job and the actor's membership.
    Outsiders get the same 404 as a missing row; `lock` takes the row's write lock (PostgreSQL)."""
    if not is_id(row_id):
        raise NotFound(not_found)
    query = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFound(not_found)
    job_pk = row.job_id  # type: ignore[attr-defined]
    membership = session.scalar(select(Membership).where(Membership.job_id == job_pk,
                                                         Membership.user_id == actor.id))
    if membership is None:
        raise NotFound(not_found)
    job = session.get(Job, job_pk)
    assert job is not None
    return row, job, membership


def require(membership: Membership, action: str, message: str | None = None) -> None:
    """Raise Forbidden unless the member's role allows `action`."""
    if not can(membership.role, action):
        raise Forbidden(message or f"As a {membership.role} in this job you cannot do that.")
