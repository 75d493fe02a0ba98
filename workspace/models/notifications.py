"""Reaching people who are away: notifications, their settings, the email outbox, sent reminders,
the scheduler's lease and password-reset tokens."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Notification(Base):
    """One thing one person should know about, tied to the room event (or reminder) behind it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),  # the unread count (migration 0011)
        Index("ix_notifications_email_due", "email_due_at"),
        # A reminder (occasion) or an event notifies each person at most once.
        UniqueConstraint("user_id", "occasion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int | None]  # the room event it links to (reminders link to the latest one)
    kind: Mapped[str] = mapped_column(String(30))  # a settings kind (domain.notify_rules.KINDS)
    occasion: Mapped[str] = mapped_column(String(200))  # "event:<job>:<seq>" or a reminder key
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(300))  # a path inside the app
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Email: due at (None = never by email), then emailed, or skipped with a reason.
    email_due_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    email_skipped: Mapped[str | None] = mapped_column(String(30))  # read | off | not_member | digest (waiting)
    email_id: Mapped[int | None] = mapped_column(ForeignKey("email_outbox.id", ondelete="SET NULL"))


class NotificationSetting(Base):
    """How one person wants one kind of notification by email: immediately, in a daily digest, or off."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))


class EmailOutbox(Base):
    """An email to send, written in the transaction that caused it; a sender claims and delivers it."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # verify, reset, notifications, digest, ...
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    # held (waits for a verified address) | pending | sending | sent | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SchedulerLease(Base):
    """Scheduled work runs in one process at a time: the holder of this row's unexpired lease."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    lease_until: Mapped[datetime]


class PasswordResetToken(Base):
    """A single-use, expiring password-reset link; only the token's sha256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
