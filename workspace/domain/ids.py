"""Ids as clients may send them: row ids and sequence numbers that fit the database columns, and the
shape of random public ids."""
from __future__ import annotations

import re
from typing import Any

ID_MAX = 2**31 - 1  # INTEGER columns on PostgreSQL; a bigger number names no row


def is_id(value: Any) -> bool:
    """A positive whole number that could name a row (never a bool, never beyond the column)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX


def is_seq(value: Any) -> bool:
    """A sequence number or cursor: 0 and up, within the column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= ID_MAX


PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")


def is_public_id(value: Any) -> bool:
    """The shape of a random public id (jobs, profiles): URL-safe characters of a sane length."""
    return isinstance(value, str) and PUBLIC_ID.fullmatch(value) is not None
