"""Who may do what in a job: one table, asked by every service."""
from __future__ import annotations

from typing import Iterable

FREELANCER = "freelancer"
CLIENT = "client"
VIEWER = "viewer"
# A client invited while terms are in force: reads like a viewer until they accept the version in
# force AND every full client admits them (see `becomes_client`). Their joining never binds the clients
# who already agreed, and the freelancer alone cannot make anyone a client.
PENDING_CLIENT = "client_pending"
# Someone both sides may bring in when they disagree: reads everything, may post messages and propose a
# resolution of a dispute (binding when the terms in force say so); never approves, pays or signs.
MEDIATOR = "mediator"
ROLES = (FREELANCER, CLIENT, VIEWER, PENDING_CLIENT, MEDIATOR)
INVITABLE_ROLES = (CLIENT, VIEWER, MEDIATOR)
# Whose acceptance puts a version in force: the freelancer and every (full) client; never a viewer.
SIGNING_ROLES = (FREELANCER, CLIENT)

PERMISSIONS: dict[str, frozenset[str]] = {
    "job.view": frozenset(ROLES),
    "job.manage": frozenset({FREELANCER}),
    # A client may invite a colleague as a client (services/invites.py); the link is their admission.
    "invite.create": frozenset({FREELANCER, CLIENT}),
    "invite.list": frozenset({FREELANCER}),
    "invite.revoke": frozenset({FREELANCER}),
    "agreement.propose": frozenset({FREELANCER, CLIENT}),
    # A pending client may accept only the version in force (checked in services/agreements.py).
    "agreement.accept": frozenset({FREELANCER, CLIENT, PENDING_CLIENT}),
    "member.remove": frozenset({FREELANCER}),
    # Only a full client admits a joining client: the people whose money a new client can commit.
    "member.admit": frozenset({CLIENT}),
    "message.post": frozenset({FREELANCER, CLIENT, MEDIATOR}),
    "progress.post": frozenset({FREELANCER}),
    "file.upload": frozenset({FREELANCER, CLIENT}),
    "payment.send": frozenset({CLIENT}),
    "payment.confirm": frozenset({FREELANCER}),
    "change_order.propose": frozenset({FREELANCER}),
    "review.leave": frozenset({FREELANCER, CLIENT}),
    "live.publish": frozenset({FREELANCER}),
    "live.watch": frozenset(ROLES),
    # Disputes (domain/disputes.py says which side may do what in which state).
    "dispute.open": frozenset({FREELANCER, CLIENT}),
    "dispute.propose": frozenset({FREELANCER, CLIENT, MEDIATOR}),
    "dispute.accept": frozenset({FREELANCER, CLIENT}),
    "dispute.withdraw": frozenset({FREELANCER, CLIENT}),
    # A mediator's word binds (when the terms say so) only once both sides agreed to that mediator.
    "mediator.agree": frozenset({FREELANCER, CLIENT}),
}


def role_label(role: str) -> str:
    """How a role reads to people."""
    return "client, joining (not yet accepted and admitted)" if role == PENDING_CLIENT else role


def becomes_client(accepted_in_force: bool, clients: Iterable[int], admitted_by: Iterable[int]) -> bool:
    """A joining client becomes a full client once they accepted the terms in force and every current
    full client admitted them (with no full client left, their acceptance suffices)."""
    return accepted_in_force and set(clients) <= set(admitted_by)


def can(role: str | None, action: str) -> bool:
    """True when a member with `role` may perform `action` (unknown actions: nobody)."""
    return role is not None and role in PERMISSIONS.get(action, frozenset())
