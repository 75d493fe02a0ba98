"""Row ids and sequence numbers as clients may send them: whole numbers that fit the database columns."""
from __future__ import annotations

from typing import Any

ID_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL; a bigger number names no row


def is_id(value: Any) -> bool:
    """A positive whole number that could name a row (never a bool, never beyond the column)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX


def is_seq(value: Any) -> bool:
    """A sequence number or cursor: 0 and up, within the column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= ID_MAX
