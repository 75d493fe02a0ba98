"""Invoices and credit notes, and the billing details they are made from (rules in domain/invoices.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from workspace.db import Base, utcnow


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("freelancer_id", "number"), UniqueConstraint("job_id", "ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    freelancer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))  # invoice | credit_note
    ref: Mapped[str] = mapped_column(String(60))  # what it is for: milestone:7, upfront:2, dispute:3
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(BigInteger)  # minor units, tax included; negative on a credit note
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    tax: Mapped[int] = mapped_column(BigInteger, default=0)
    seller: Mapped[dict[str, Any]] = mapped_column(JSON)  # the freelancer's details as they were
    buyer: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillingDetails(Base):
    """Someone's business or billing details: for the account (job_id NULL) or for one job."""

    __tablename__ = "billing_details"
    __table_args__ = (
        Index("uq_billing_account", "user_id", unique=True, sqlite_where=text("job_id IS NULL"),
              postgresql_where=text("job_id IS NULL")),
        Index("uq_billing_job", "user_id", "job_id", unique=True, sqlite_where=text("job_id IS NOT NULL"),
              postgresql_where=text("job_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")  # legal name or company
    address: Mapped[str] = mapped_column(Text, default="")
    tax_id: Mapped[str] = mapped_column(String(60), default="")
    tax_rate_bp: Mapped[int] = mapped_column(default=0)  # the freelancer's rate, in basis points
    # How to be paid (the freelancer's): [{"kind": "iban"|"paypal"|"wise"|"link"|"other", "value", "label"}]
    payment_methods: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
