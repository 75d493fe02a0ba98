"""Every room event type, declared once (`<entity>.<past tense>`)."""
from __future__ import annotations

JOB_CREATED = "job.created"
MEMBER_JOINED = "member.joined"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_ACCEPTED = "agreement.accepted"
AGREEMENT_IN_FORCE = "agreement.in_force"
MEMBER_REMOVED = "member.removed"
MESSAGE_POSTED = "message.posted"
MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED = "message.deleted"
PROGRESS_POSTED = "progress.posted"

ALL = frozenset({
    JOB_CREATED, MEMBER_JOINED, MEMBER_REMOVED, AGREEMENT_PROPOSED, AGREEMENT_ACCEPTED, AGREEMENT_IN_FORCE,
    MESSAGE_POSTED, MESSAGE_EDITED, MESSAGE_DELETED, PROGRESS_POSTED,
})
