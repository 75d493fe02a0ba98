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


class Claim:
    """One money action under a key: `prior` is the first answer when this is a repeat."""

    def __init__(self, session: Session, actor: User, key: str, action: str, target: Any, body: Any = None) -> None:
        self.session, self.actor, self.key = session, actor, key
        self.fingerprint = hashlib.sha256(
            canonical_json({"action": action, "target": target, "body": body}).encode()).hexdigest()
        record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == actor.id,
                                                                IdempotencyRecord.key == key))
        if record is not None and record.fingerprint != self.fingerprint:
            raise Conflict("This Idempotency-Key was already used for a different request.",
                           code="idempotency_key_reused")
        self.prior: dict[str, Any] | None = record.response if record is not None else None

    def remember(self, response: dict[str, Any], status: int = 200) -> None:
        """Keep the answer in the same transaction as the action (UNIQUE (user, key) guards races)."""
        self.session.add(IdempotencyRecord(user_id=self.actor.id, key=self.key, fingerprint=self.fingerprint,
                                           status=status, response=response))
        self.session.flush()
