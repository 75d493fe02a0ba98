"""Membership over time: admitting a joining client, removing someone (their sockets leave at once; the
terms waiting for a removed client are checked again) and each member's read cursor."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, update

from workspace.domain.ids import is_seq
from workspace.db import Transaction, rowcount, transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Invalid
from workspace.domain.roles import CLIENT, FREELANCER, PENDING_CLIENT
from workspace.extensions import db
from workspace.models import Event, Job, Membership, User
from workspace.services import agreements, notifications
from workspace.services.access import load_member, member_of, require
from workspace.services.views import admission_view, admissions, user_ref


COMPLETED_CLIENT = "This job is completed: its clients keep their access to its record (invoices, receipts, reviews)."


def remove_member(actor: User, job_id: str, user_id: Any) -> dict[str, Any]:
    """The freelancer removes a client or viewer; their open sockets stop receiving the room. Not a
    client of a completed job: the record (and the review they left) is theirs too."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "member.remove", "Only the freelancer can remove people.")
        target, user = member_of(tx.session, job, user_id)
        if target.role == FREELANCER:
            raise Conflict("The freelancer cannot be removed from their own job.")
        if target.role == CLIENT and job.status == "completed":
            raise Conflict(COMPLETED_CLIENT, code="job_completed")
        tx.session.delete(target)
        tx.session.flush()
        event = tx.record(job, ev.MEMBER_REMOVED, {"user": user_ref(user), "role": target.role}, actor)
        tx.leave(f"user:{user_id}", f"job:{job.public_id}")
        if target.role == CLIENT:
            # One client fewer to wait for: the pending version may now have every acceptance it needs,
            # and a joining client may now have every admission they need.
            agreements.reevaluate(tx, job)
            _promote_joining(tx, job)
    return event


def _promote_joining(tx: Transaction, job: Job) -> None:
    """After a client left: joining clients whom every remaining client admitted (and who accepted the
    terms in force) become clients; nobody acted, so the event has no actor."""
    joining = tx.session.scalars(select(Membership).where(Membership.job_id == job.id,
                                                          Membership.role == PENDING_CLIENT)
                                 .order_by(Membership.id)).all()
    for member in joining:
        if agreements.promote_if_ready(tx, job, member):
            user = tx.session.get(User, member.user_id)
            assert user is not None
            tx.record(job, ev.MEMBER_ADMITTED, {"user": user_ref(user), "role": member.role, "became_client": True})


def admit_client(actor: User, job_id: str, user_id: Any) -> dict[str, Any]:
    """A full client admits a client who is joining (pending). They become a client, in this
    transaction, once they also accepted the terms in force and every full client admitted them.
    Admitting someone twice records nothing and answers the same."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "member.admit",
                "Only the clients of this job admit a new client; the freelancer and viewers cannot.")
        target, user = member_of(tx.session, job, user_id)
        mine = actor.id in admissions(tx.session, job.id, [target.user_id])[target.user_id]
        if not (target.role == PENDING_CLIENT or (target.role == CLIENT and mine)):
            raise Conflict(f"{user.name} is not a client waiting to join this job; there is nobody to admit.",
                           code="not_joining")
        if not mine:
            became = agreements.promote_if_ready(tx, job, target, admitted_now=actor.id)
            tx.record(job, ev.MEMBER_ADMITTED, {"user": user_ref(user), "role": target.role,
                                                "became_client": became}, actor)
        view = admission_view(tx.session, job.id, target, user_ref(user))
    return view


def mark_read(actor: User, job_id: str, seq: Any) -> int:
    """Move the actor's read cursor forward (never back, never past the last event)."""
    if not is_seq(seq):
        raise Invalid("seq is a sequence number.", fields={"seq": "A whole number of 0 or more."})
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        target = min(seq, job.last_seq)
        moved = rowcount(tx.session.execute(
            update(Membership).where(Membership.id == membership.id, Membership.last_read_seq < target)
            .values(last_read_seq=target)
        ))
        if moved:
            tx.signal(f"job:{job.public_id}", "read", {"job": job.public_id, "user": user_ref(actor), "seq": target})
            notifications.mark_read_through(tx, actor.id, job.id, target)
        result = target if moved else membership.last_read_seq
    return result


def unread_counts(actor: User, job_ids: list[int]) -> dict[int, int]:
    """Events by others after my read cursor, per job (one query for the dashboard)."""
    if not job_ids:
        return {}
    rows = db.session.execute(
        select(Event.job_id, func.count())
        .join(Membership, and_(Membership.job_id == Event.job_id, Membership.user_id == actor.id))
        .where(Event.job_id.in_(job_ids), Event.seq > Membership.last_read_seq,
               (Event.actor_id.is_(None)) | (Event.actor_id != actor.id))
        .group_by(Event.job_id)
    ).all()
    return {job_id: count for job_id, count in rows}

