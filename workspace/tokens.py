"""Random bearer secrets (API tokens, invite links, public ids) and the digest we store instead."""
from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "", nbytes: int = 32) -> str:
    return prefix + secrets.token_urlsafe(nbytes)


def digest(raw: str) -> str:
    """sha256 hex: enough for high-entropy secrets (they are not passwords)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def public_id() -> str:
    """Unguessable public id for a job (96 random bits, 16 URL-safe characters)."""
    return secrets.token_urlsafe(12)
