"""The job's milestones, made from the plan of the agreement in force."""
from __future__ import annotations

from datetime import date, datetime

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Milestone(Base):
    __tablename__ = "milestones"
    __table_args__ = (UniqueConstraint("job_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    due: Mapped[date]
    criteria: Mapped[list[str]] = mapped_column(JSON, default=list)
    revisions_included: Mapped[int] = mapped_column(default=1)
    revisions_used: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(20), default="planned")
    agreement_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    review_due_at: Mapped[datetime | None]  # auto-approval moment of the open submission
    approved_at: Mapped[datetime | None]
    auto_approved: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime | None]
    cancel_requested_by: Mapped[str | None] = mapped_column(String(20))  # a role, until the other agrees


class Submission(Base):
    """One delivery of a milestone for review, and the client's answer to it."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("milestone_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    review_due_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(20))  # approved | changes_requested | auto_approved
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[list[Any]] = mapped_column(JSON, default=list)  # indexes the change request is about
    out_of_scope: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int | None]  # which revision round this request was
