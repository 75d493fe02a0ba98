"""Who is told about what: one table from (event type, role) to a notification kind, the kinds people
can tune, and which of them protect someone (those can be delayed into a digest, never turned off)."""
from __future__ import annotations

from workspace.domain import event_types as ev
from workspace.domain.roles import CLIENT, FREELANCER, MEDIATOR, PENDING_CLIENT, VIEWER

# Kinds as people see them on the settings page, in that order.
KINDS: dict[str, str] = {
    "terms": "Terms proposed and agreed",
    "milestones": "Submissions, reviews and changes",
    "money": "Payments and amounts owed",
    "review_window": "Review window closing (auto-approval)",
    "messages": "Messages",
    "progress": "Progress updates",
    "sessions": "Live work sessions",
    "reviews": "Reviews of your work",
    "people": "People joining the job",
    "deadlines": "Deadlines, due dates and update reminders",
}
MODES = ("immediate", "digest", "off")
DEFAULT_MODE = "immediate"

# Kinds that protect the person who receives them: email may wait for a digest, but is never off.
PROTECTED = frozenset({"terms", "money", "review_window"})

BOTH_SIDES = (FREELANCER, CLIENT)
EVERYONE = (FREELANCER, CLIENT, VIEWER, MEDIATOR)
# A dispute concerns both sides and the mediator they brought in.
DISPUTE_PARTIES = (FREELANCER, CLIENT, MEDIATOR)

# event type -> (kind, roles told). "other_side" rules are resolved against the actor's role below.
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    ev.AGREEMENT_PROPOSED: ("terms", BOTH_SIDES),  # everyone whose acceptance it needs (never the proposer)
    ev.AGREEMENT_IN_FORCE: ("terms", BOTH_SIDES),
    ev.UPFRONT_REQUESTED: ("money", (CLIENT,)),
    ev.MILESTONE_SUBMITTED: ("milestones", (CLIENT,)),
    ev.MILESTONE_CHANGES_REQUESTED: ("milestones", (FREELANCER,)),
    ev.MILESTONE_APPROVED: ("money", (FREELANCER,)),  # auto-approval also tells clients: see AUTO_APPROVED
    ev.MILESTONE_CANCEL_REQUESTED: ("milestones", BOTH_SIDES),
    ev.MILESTONE_REVIEW_EXTENDED: ("review_window", BOTH_SIDES),
    ev.MILESTONE_CANCELLED: ("milestones", BOTH_SIDES),
    ev.PAYMENT_SENT: ("money", (FREELANCER,)),
    ev.PAYMENT_CONFIRMED: ("money", (CLIENT,)),
    ev.PAYMENT_DISPUTED: ("money", (CLIENT,)),
    ev.JOB_COMPLETED: ("milestones", BOTH_SIDES),
    ev.SESSION_STARTED: ("sessions", (CLIENT, VIEWER)),
    ev.MESSAGE_POSTED: ("messages", EVERYONE),
    ev.PROGRESS_POSTED: ("progress", (CLIENT, VIEWER)),
    ev.REVIEW_POSTED: ("reviews", BOTH_SIDES),  # only the person reviewed: see recipients()
    ev.MEMBER_JOINED: ("people", BOTH_SIDES),  # a client joining (pending) waits for the clients' admission
    # A joining client accepted the terms in force and now waits for the clients to admit them (only
    # while still pending: see recipients()).
    ev.AGREEMENT_ACCEPTED: ("people", (CLIENT,)),
    # Someone was admitted: the other clients (whose admission may still be missing) and the freelancer;
    # the admitted person is told once it made them a client (until then they are told what a viewer is).
    ev.MEMBER_ADMITTED: ("people", BOTH_SIDES),
    ev.DISPUTE_OPENED: ("money", DISPUTE_PARTIES),
    ev.DISPUTE_PROPOSED: ("money", DISPUTE_PARTIES),
    ev.DISPUTE_ACCEPTED: ("money", DISPUTE_PARTIES),
    ev.DISPUTE_RESOLVED: ("money", DISPUTE_PARTIES),
    ev.DISPUTE_WITHDRAWN: ("money", DISPUTE_PARTIES),
}
# An automatic approval makes money owed without anyone acting: the clients are told too.
AUTO_APPROVED_ROLES = (FREELANCER, CLIENT)


def recipients(event_type: str, actor_role: str | None, member_role: str, *, auto: bool = False) -> str | None:
    """The kind of notification a member with `member_role` gets for this event, or None.

    The actor is excluded by the caller (never notify the person who acted)."""
    rule = RULES.get(event_type)
    if rule is None:
        return None
    kind, roles = rule
    if member_role == PENDING_CLIENT:
        member_role = VIEWER  # until they accept the terms in force, told what a viewer is told
    if event_type == ev.MILESTONE_APPROVED and auto:
        roles = AUTO_APPROVED_ROLES
    if member_role not in roles:
        return None
    if event_type == ev.AGREEMENT_ACCEPTED and actor_role != PENDING_CLIENT:
        return None  # only an acceptance that leaves a joining client waiting for admission
    if event_type == ev.MILESTONE_CANCEL_REQUESTED and actor_role is not None:
        # The other side: a client's request tells the freelancer, the freelancer's tells clients.
        # (A proposal tells every other client too: terms need each client's acceptance.)
        if (actor_role == FREELANCER) == (member_role == FREELANCER):
            return None
    return kind


def mode_allowed(kind: str, mode: str) -> bool:
    """Protected kinds cannot be turned off."""
    return mode in MODES and kind in KINDS and not (mode == "off" and kind in PROTECTED)
