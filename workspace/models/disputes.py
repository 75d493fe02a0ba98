"""Disputes over a milestone and the resolutions proposed for them (rules in domain/disputes.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Dispute(Base):
    __tablename__ = "disputes"
    # At most one open dispute per milestone, whatever races: the database refuses a second.
    __table_args__ = (Index("uq_disputes_open_milestone", "milestone_id", unique=True,
                            sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("milestones.id", ondelete="CASCADE"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_by_role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="open")
    milestone_state: Mapped[str] = mapped_column(String(20))  # what it was when the dispute opened
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DisputeProposal(Base):
    """A proposed resolution: an amount to the freelancer, or a new due date with one more revision."""

    __tablename__ = "dispute_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_role: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # amount | revision
    amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units to the freelancer
    due: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)  # roles whose acceptance it needs
    accepted_by: Mapped[list[str]] = mapped_column(JSON, default=list)  # roles that accepted
    state: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
