"""Every room event type, declared once (`<entity>.<past tense>`)."""
from __future__ import annotations

JOB_CREATED = "job.created"
MEMBER_JOINED = "member.joined"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_ACCEPTED = "agreement.accepted"
AGREEMENT_IN_FORCE = "agreement.in_force"

ALL = frozenset({JOB_CREATED, MEMBER_JOINED, AGREEMENT_PROPOSED, AGREEMENT_ACCEPTED, AGREEMENT_IN_FORCE})
