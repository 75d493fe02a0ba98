"""SQLAlchemy typed models: columns and relations only, no rules."""
from workspace.models.accounts import ApiToken, LoginSession, User
from workspace.models.agreements import Acceptance, Agreement
from workspace.models.events import Event
from workspace.models.jobs import Invite, Job, Membership
from workspace.models.milestones import Milestone
from workspace.models.room import Attachment, Message, ProgressUpdate

__all__ = [
    "Acceptance", "Agreement", "ApiToken", "Attachment", "Event", "Invite", "Job", "LoginSession",
    "Membership", "Message", "Milestone", "ProgressUpdate", "User",
]
