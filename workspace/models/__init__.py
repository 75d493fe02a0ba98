"""SQLAlchemy typed models: columns and relations only, no rules."""
from workspace.models.accounts import ApiToken, LoginSession, User
from workspace.models.agreements import Acceptance, Agreement
from workspace.models.disputes import Dispute, DisputeProposal
from workspace.models.events import Event
from workspace.models.invoices import BillingDetails, Invoice
from workspace.models.jobs import Invite, Job, Membership
from workspace.models.live import LiveSession, Snapshot
from workspace.models.milestones import Milestone, Submission
from workspace.models.notifications import (
    EmailOutbox, Notification, NotificationSetting, PasswordResetToken, SchedulerLease,
)
from workspace.models.money import IdempotencyRecord, LedgerEntry, LedgerTransaction, Payment, Review
from workspace.models.room import Attachment, Message, ProgressUpdate

__all__ = [
    "Acceptance", "Agreement", "BillingDetails", "Invoice", "Dispute", "DisputeProposal", "EmailOutbox", "Notification", "NotificationSetting", "PasswordResetToken",
    "SchedulerLease", "ApiToken", "Attachment", "Event", "Invite", "Job", "LoginSession",
    "IdempotencyRecord", "LedgerEntry", "LedgerTransaction", "Membership", "Message", "Milestone", "Payment",
    "LiveSession", "ProgressUpdate", "Review", "Snapshot", "Submission", "User",
]
