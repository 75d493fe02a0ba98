"""The room's event log: gap-free per-job seq, hash-chained (over content digests) for tamper evidence."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # sha256 of the canonical JSON of `data` as recorded; the chain links over it, so `data` can be
    # erased (a deleted message) while the chain still verifies.
    data_digest: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime | None]  # set when `data` was replaced by what remains of erased content
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
