"""Signed links that work without logging in: email verification, notification preferences,
one-click unsubscribe and reply-by-email addresses. Each purpose has its own salt."""
from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

PURPOSES = {
    "verify": 7 * 24 * 3600,  # email verification: a week
    "prefs": 365 * 24 * 3600,  # the preferences page linked from every email
    "unsubscribe": 365 * 24 * 3600,
    "reply": 60 * 24 * 3600,  # a notification email can be answered for 60 days
}


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"workspace.{purpose}")


def sign(secret: str, purpose: str, payload: Any) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    return _serializer(secret, purpose).dumps(payload)


def unsign(secret: str, purpose: str, token: Any) -> Any | None:
    """The payload of a genuine, unexpired token for this purpose, or None."""
    if purpose not in PURPOSES or not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        return _serializer(secret, purpose).loads(token, max_age=PURPOSES[purpose])
    except BadSignature:  # includes SignatureExpired
        return None
