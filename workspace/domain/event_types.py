"""Every room event type, declared once (`<entity>.<past tense>`)."""
from __future__ import annotations

JOB_CREATED = "job.created"
MEMBER_JOINED = "member.joined"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_ACCEPTED = "agreement.accepted"
AGREEMENT_IN_FORCE = "agreement.in_force"
MEMBER_REMOVED = "member.removed"
# A full client admitted a joining client (actor: who admitted; data.user: whom; became_client).
MEMBER_ADMITTED = "member.admitted"
MESSAGE_POSTED = "message.posted"
MESSAGE_EDITED = "message.edited"
MESSAGE_DELETED = "message.deleted"
PROGRESS_POSTED = "progress.posted"
UPFRONT_REQUESTED = "upfront.requested"
MILESTONE_SUBMITTED = "milestone.submitted"
MILESTONE_APPROVED = "milestone.approved"
MILESTONE_CHANGES_REQUESTED = "milestone.changes_requested"
MILESTONE_CANCEL_REQUESTED = "milestone.cancel_requested"
MILESTONE_CANCELLED = "milestone.cancelled"
MILESTONE_PAID = "milestone.paid"
MILESTONE_REVIEW_EXTENDED = "milestone.review_extended"
PAYMENT_SENT = "payment.sent"
PAYMENT_CONFIRMED = "payment.confirmed"
PAYMENT_DISPUTED = "payment.disputed"
JOB_COMPLETED = "job.completed"
REVIEW_POSTED = "review.posted"
SESSION_STARTED = "session.started"
SESSION_PAUSED = "session.paused"
SESSION_RESUMED = "session.resumed"
SESSION_ENDED = "session.ended"
SNAPSHOT_TAKEN = "snapshot.taken"
SNAPSHOT_DELETED = "snapshot.deleted"
DIARY_SETTINGS_CHANGED = "diary.settings_changed"
# Disputes over a milestone (data: dispute, milestone; resolved also balances).
DISPUTE_OPENED = "dispute.opened"
DISPUTE_PROPOSED = "dispute.proposed"
DISPUTE_ACCEPTED = "dispute.accepted"  # one side accepted a mediator's proposal that needs both
DISPUTE_RESOLVED = "dispute.resolved"
DISPUTE_WITHDRAWN = "dispute.withdrawn"

ALL = frozenset({
    JOB_CREATED, MEMBER_JOINED, MEMBER_REMOVED, MEMBER_ADMITTED, AGREEMENT_PROPOSED, AGREEMENT_ACCEPTED, AGREEMENT_IN_FORCE,
    MESSAGE_POSTED, MESSAGE_EDITED, MESSAGE_DELETED, PROGRESS_POSTED, UPFRONT_REQUESTED, MILESTONE_SUBMITTED,
    MILESTONE_APPROVED, MILESTONE_CHANGES_REQUESTED, MILESTONE_CANCEL_REQUESTED, MILESTONE_CANCELLED,
    MILESTONE_PAID, MILESTONE_REVIEW_EXTENDED, PAYMENT_SENT, PAYMENT_CONFIRMED, PAYMENT_DISPUTED, JOB_COMPLETED, REVIEW_POSTED,
    SESSION_STARTED, SESSION_PAUSED, SESSION_RESUMED, SESSION_ENDED, SNAPSHOT_TAKEN, SNAPSHOT_DELETED,
    DIARY_SETTINGS_CHANGED, DISPUTE_OPENED, DISPUTE_PROPOSED, DISPUTE_ACCEPTED, DISPUTE_RESOLVED, DISPUTE_WITHDRAWN,
})
