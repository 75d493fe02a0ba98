"""Live work sessions (the freelancer shares their screen) and the snapshots that make the work diary."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class LiveSession(Base):
    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    publisher_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(30))  # stopped | no_heartbeat
    paused: Mapped[bool] = mapped_column(default=False)
    # The socket that publishes now (a page reload hands over to a new socket) and its last sign of life.
    publisher_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    last_heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class Snapshot(Base):
    """A picture of the shared screen, stored as an attachment; deletable for a short grace period."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
