"""Invitation links: role-bound, single-use, expiring and revocable. The freelancer invites clients and
viewers; a client may invite a colleague as a client, which counts as their admission of them. Listing
and revoking links stay the freelancer's."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from workspace.domain.ids import is_id
from workspace.action_limits import take_slot
from workspace.db import iso, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workspace.domain.roles import CLIENT, INVITABLE_ROLES, MEDIATOR, PENDING_CLIENT
from workspace.extensions import db
from workspace.models import Invite, Job, Membership, User
from workspace.services.access import load_member, require
from workspace.services.views import job_view, user_ref
from workspace.tokens import digest, new_secret

INVITE_NOT_FOUND = "This invitation link is not valid. Ask for a new one."


def invite_state(invite: Invite) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.accepted_at is not None:
        return "used"
    if invite.expires_at <= utcnow():
        return "expired"
    return "valid"


def invite_view(invite: Invite) -> dict[str, Any]:
    return {
        "id": invite.id, "role": invite.role, "state": invite_state(invite),
        "created_at": iso(invite.created_at), "expires_at": iso(invite.expires_at),
    }


def joining_role(invited_as: str, job: Job) -> str:
    """A client invited once terms are in force joins pending: the clients who agreed those terms are
    not bound by anyone new, and the newcomer approves or pays nothing until they accept them too and
    every full client admitted them (services/members.py admit_client)."""
    return PENDING_CLIENT if invited_as == CLIENT and job.in_force_version is not None else invited_as


def create_invite(actor: User, job_id: str, role: Any, *, ttl: timedelta) -> dict[str, Any]:
    """A new link for `role`; the raw token is returned once, only its digest is kept."""
    if role not in INVITABLE_ROLES:
        raise Invalid("Invite someone as a client, a viewer or a mediator.",
                      fields={"role": "Choose client, viewer or mediator."})
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "invite.create", "Only the freelancer and the clients can invite people to this job.")
        take_slot("invite_create", actor.id, current_app.config)
        if job.status == "completed" and role == CLIENT:
            raise Conflict("This job is completed: there is nothing left to approve or pay, so no one new joins "
                           "as a client. Invite a viewer to share the record.", code="job_completed")
        if membership.role == CLIENT and role not in (CLIENT, MEDIATOR):
            # A client brings in a colleague (their link is their admission) or a mediator (either side may);
            # watchers are the freelancer's call.
            raise Forbidden("As a client you can invite a colleague as a client or a mediator; ask the freelancer "
                            "to invite viewers.")
        raw = new_secret(nbytes=24)
        invite = Invite(job_id=job.id, token_hash=digest(raw), role=role, created_by_id=actor.id,
                        expires_at=utcnow() + ttl)
        tx.session.add(invite)
        tx.session.flush()
        view = invite_view(invite)
    view["token"] = raw
    return view


def list_invites(actor: User, job_id: str) -> list[dict[str, Any]]:
    job, membership = load_member(db.session(), actor, job_id)
    require(membership, "invite.list", "Only the freelancer can see this job's invitations.")
    invites = db.session.scalars(select(Invite).where(Invite.job_id == job.id).order_by(Invite.id.desc()))
    return [invite_view(i) for i in invites]


def revoke_invite(actor: User, job_id: str, invite_id: Any) -> dict[str, Any]:
    if not is_id(invite_id):
        raise NotFound("No such invitation.")
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "invite.revoke", "Only the freelancer can revoke invitations.")
        invite = tx.session.scalar(select(Invite).where(Invite.id == invite_id, Invite.job_id == job.id))
        if invite is None:
            raise NotFound("No such invitation.")
        if invite.accepted_at is not None:
            raise Conflict("This invitation has already been used; it cannot be revoked.")
        if invite.revoked_at is None:
            invite.revoked_at = utcnow()
        view = invite_view(invite)
    return view


def preview_invite(raw: Any) -> dict[str, Any]:
    """What the invite page shows before anyone accepts: the job, who invites, the role."""
    invite = _find(raw)
    job = db.session.get(Job, invite.job_id)
    inviter = db.session.get(User, invite.created_by_id)
    assert job is not None and inviter is not None
    inviter_role = db.session.scalar(select(Membership.role).where(Membership.job_id == job.id,
                                                                   Membership.user_id == inviter.id))
    return {
        "job": {"id": job.public_id, "title": job.title, "description": job.description},
        "invited_by": user_ref(inviter), "role": invite.role, "joins_as": joining_role(invite.role, job),
        # A client's link is their admission; a joining client still needs every other client's.
        "invited_by_client": inviter_role == CLIENT,
        "in_force_version": job.in_force_version, "state": invite_state(invite),
        "expires_at": iso(invite.expires_at),
    }


def accept_invite(actor: User, raw: Any) -> dict[str, Any]:
    """Join the job with the invite's role; the link is then used up."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        raise NotFound(INVITE_NOT_FOUND)
    with transaction() as tx:
        invite = tx.session.scalar(
            select(Invite).where(Invite.token_hash == digest(raw)).with_for_update()
        )
        if invite is None:
            raise NotFound(INVITE_NOT_FOUND)
        # The job row's lock orders this join with acceptances and removals: the role chosen below
        # depends on whether terms are in force, and an acceptance counts the clients at that moment.
        job = tx.session.scalar(select(Job).where(Job.id == invite.job_id).with_for_update())
        assert job is not None
        existing = tx.session.scalar(
            select(Membership).where(Membership.job_id == job.id, Membership.user_id == actor.id)
        )
        if existing is not None:
            # Opening a link again (or one meant for someone else) never changes an existing role.
            return job_view(tx.session, job, existing)
        state = invite_state(invite)
        if state != "valid":
            raise Conflict({
                "revoked": "This invitation was revoked. Ask the freelancer for a new link.",
                "used": "This invitation has already been used. Ask the freelancer for a new link.",
                "expired": "This invitation has expired. Ask the freelancer for a new link.",
            }[state], code=f"invite_{state}")
        invite.accepted_at = utcnow()
        invite.accepted_by_id = actor.id
        role = joining_role(invite.role, job)
        membership = Membership(job_id=job.id, user_id=actor.id, role=role)
        tx.session.add(membership)
        tx.session.flush()
        tx.record(job, ev.MEMBER_JOINED, {"user": user_ref(actor), "role": role}, actor)
        view = job_view(tx.session, job, membership)
    return view


def _find(raw: Any) -> Invite:
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        raise NotFound(INVITE_NOT_FOUND)
    invite = db.session.scalar(select(Invite).where(Invite.token_hash == digest(raw)))
    if invite is None:
        raise NotFound(INVITE_NOT_FOUND)
    return invite
