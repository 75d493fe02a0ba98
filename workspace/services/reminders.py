"""Reminders: deadlines, milestone due dates, update cadence, review windows, unconfirmed payments and
unanswered terms; each sent once per occasion (a unique notification per person and occasion)."""
from __future__ import annotations

from datetime import datetime


def run(now: datetime | None = None) -> int:
    return 0
