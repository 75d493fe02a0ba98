"""Mediators both sides agreed to. Terms may make a mediator's resolution binding, but only a mediator
whom the freelancer and a client have each agreed to: otherwise one side could invite a second account
of their own as mediator and settle any dispute alone. Whoever made the invitation agreed by making it;
the other side agrees with `agree_to_mediator`, recorded as a `member.admitted` event (the same log
that records clients admitting a joining client, read by `views.admissions`)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict
from workspace.domain.roles import CLIENT, FREELANCER, MEDIATOR
from workspace.models import Job, Membership, User
from workspace.services.access import load_member, member_of, require
from workspace.services.views import admissions, user_ref

PARTIES = (FREELANCER, CLIENT)


def agreed_sides(session: Session, job_id: int, mediator_ids: list[int]) -> dict[int, set[str]]:
    """Per mediator: the sides (freelancer, client) of which a current member agreed to them."""
    admitted = admissions(session, job_id, mediator_ids)
    roles = dict(session.execute(select(Membership.user_id, Membership.role).where(
        Membership.job_id == job_id, Membership.role.in_(PARTIES))).all())
    return {uid: {roles[by] for by in admitted[uid] if by in roles} for uid in mediator_ids}


def agreed_by_both(session: Session, job_id: int, mediator_id: int) -> bool:
    return agreed_sides(session, job_id, [mediator_id])[mediator_id] >= set(PARTIES)


def mediators_view(session: Session, job: Job, role: str, binding: bool) -> list[dict[str, Any]]:
    """The job's mediators, who agreed to each, whether their resolutions bind now, and `agree` for a
    side that has not agreed yet."""
    rows = session.execute(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.job_id == job.id, Membership.role == MEDIATOR).order_by(Membership.id)).scalars().all()
    sides = agreed_sides(session, job.id, [u.id for u in rows])
    return [{"user": user_ref(u), "agreed_by": sorted(sides[u.id]),
             "binding": binding and sides[u.id] >= set(PARTIES),
             "actions": ["agree"] if role in PARTIES and role not in sides[u.id] else []}
            for u in rows]


def agree_to_mediator(actor: User, job_id: str, user_id: Any) -> dict[str, Any]:
    """The freelancer or a client agrees to a mediator (for their side: any client speaks for the
    clients, as in accepting a resolution). Agreeing again records nothing and answers the same."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "mediator.agree", "Only the freelancer and the clients agree to a mediator.")
        target, user = member_of(tx.session, job, user_id)
        if target.role != MEDIATOR:
            raise Conflict(f"{user.name} is not a mediator of this job.", code="not_mediator")
        if membership.role not in agreed_sides(tx.session, job.id, [user.id])[user.id]:
            tx.record(job, ev.MEMBER_ADMITTED, {"user": user_ref(user), "role": MEDIATOR, "became_client": False},
                      actor)
        sides = agreed_sides(tx.session, job.id, [user.id])[user.id]
    return {"user": user_ref(user), "agreed_by": sorted(sides)}
