"""The job's milestones, made from the plan of the agreement in force."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, UniqueConstraint
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
