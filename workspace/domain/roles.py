"""Who may do what in a job: one table, asked by every service."""
from __future__ import annotations

FREELANCER = "freelancer"
CLIENT = "client"
VIEWER = "viewer"
ROLES = (FREELANCER, CLIENT, VIEWER)
INVITABLE_ROLES = (CLIENT, VIEWER)

PERMISSIONS: dict[str, frozenset[str]] = {
    "job.view": frozenset(ROLES),
    "job.manage": frozenset({FREELANCER}),
    "invite.create": frozenset({FREELANCER}),
    "invite.revoke": frozenset({FREELANCER}),
    "agreement.propose": frozenset({FREELANCER, CLIENT}),
    "agreement.accept": frozenset({FREELANCER, CLIENT}),
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


def can(role: str | None, action: str) -> bool:
    """True when a member with `role` may perform `action` (unknown actions: nobody)."""
    return role is not None and role in PERMISSIONS.get(action, frozenset())
