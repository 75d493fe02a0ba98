"""What people post in a room: messages, their attachments, and progress updates."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Message(Base):
    __tablename__ = "messages"
    # A retry with the same client_ref finds the first message instead of posting twice.
    __table_args__ = (UniqueConstraint("job_id", "author_id", "client_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    client_ref: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int]  # the seq of its message.posted event
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class Attachment(Base):
    """A file uploaded to a job; stored under a random name, served only to members."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_name: Mapped[str] = mapped_column(String(64))
    thumb_name: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_at: Mapped[datetime | None]  # its message was deleted: file gone from disk, name blanked


class ProgressUpdate(Base):
    __tablename__ = "progress_updates"
    __table_args__ = (Index("ix_progress_job_created", "job_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    percent: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))
    seq: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
