"""Idempotency keys: the first answer to (user, key) is kept; a repeat gets it back and posts nothing."""
from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.domain.chain import canonical_json
from workspace.domain.errors import BadRequest, Conflict
from workspace.models import IdempotencyRecord, User

KEY_MAX = 100


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_MAX:
        raise BadRequest("Money actions need an Idempotency-Key header (1-100 characters), so a retry "
                         "or a double click never pays twice.", code="idempotency_key_required")
    return key.strip()


def fingerprint(action: str, target: Any, body: Any = None) -> str:
    return hashlib.sha256(canonical_json({"action": action, "target": target, "body": body}).encode()).hexdigest()


def replay(session: Session, actor: User, key: str, print_: str) -> dict[str, Any] | None:
    """The stored answer for this key, or None; the same key for a different request is refused."""
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == actor.id,
                                                            IdempotencyRecord.key == key))
    if record is None:
        return None
    if record.fingerprint != print_:
        raise Conflict("This Idempotency-Key was already used for a different request.", code="idempotency_key_reused")
    return record.response


def remember(session: Session, actor: User, key: str, print_: str, response: dict[str, Any], status: int = 200) -> None:
    session.add(IdempotencyRecord(user_id=actor.id, key=key, fingerprint=print_, status=status, response=response))
    session.flush()
