"""Who may do what in a job: one table, asked by every service."""
from __future__ import annotations

FREELANCER = "freelancer"
CLIENT = "client"
VIEWER = "viewer"
# A client invited while terms are in force: reads like a viewer until they accept the version in
# force, which makes them a full client. Their joining never binds the clients who already agreed.
PENDING_CLIENT = "client_pending"
ROLES = (FREELANCER, CLIENT, VIEWER, PENDING_CLIENT)
INVITABLE_ROLES = (CLIENT, VIEWER)
# Whose acceptance puts a version in force: the freelancer and every (full) client; never a viewer.
SIGNING_ROLES = (FREELANCER, CLIENT)

PERMISSIONS: dict[str, frozenset[str]] = {
    "job.view": frozenset(ROLES),
    "job.manage": frozenset({FREELANCER}),
    "invite.create": frozenset({FREELANCER}),
    "invite.revoke": frozenset({FREELANCER}),
    "agreement.propose": frozenset({FREELANCER, CLIENT}),
    # A pending client may accept only the version in force (checked in services/agreements.py).
    "agreement.accept": frozenset({FREELANCER, CLIENT, PENDING_CLIENT}),
    "member.remove": frozenset({FREELANCER}),
    "message.post": frozenset({FREELANCER, CLIENT}),
    "progress.post": frozenset({FREELANCER}),
    "file.upload": frozenset({FREELANCER, CLIENT}),
    "payment.send": frozenset({CLIENT}),
    "payment.confirm": frozenset({FREELANCER}),
    "change_order.propose": frozenset({FREELANCER}),
    "review.leave": frozenset({FREELANCER, CLIENT}),
    "live.publish": frozenset({FREELANCER}),
    "live.watch": frozenset(ROLES),
}


def role_label(role: str) -> str:
    """How a role reads to people."""
    return "client (not yet accepted the terms)" if role == PENDING_CLIENT else role


def can(role: str | None, action: str) -> bool:
    """True when a member with `role` may perform `action` (unknown actions: nobody)."""
    return role is not None and role in PERMISSIONS.get(action, frozenset())
