"""Signed links that work without logging in: email verification, notification preferences,
one-click unsubscribe and reply-by-email addresses. Each purpose has its own salt."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

PURPOSES = {
    "verify": 7 * 24 * 3600,  # email verification: a week
    "undo-email": 7 * 24 * 3600,  # "this was not me": put a changed address back, for a week
    "prefs": 365 * 24 * 3600,  # the preferences page linked from every email
    "unsubscribe": 365 * 24 * 3600,
    "reply": 60 * 24 * 3600,  # a notification email can be answered for 60 days
}


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"workspace.{purpose}")


def sign(secret: str, purpose: str, payload: Any) -> str:
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    if purpose == "reply":
        return _sign_reply(secret, payload)
    return _serializer(secret, purpose).dumps(payload)


def unsign(secret: str, purpose: str, token: Any) -> Any | None:
    """The payload of a genuine, unexpired token for this purpose, or None."""
    if purpose not in PURPOSES or not isinstance(token, str) or not token or len(token) > 500:
        return None
    if purpose == "reply":
        return _unsign_reply(secret, token, PURPOSES[purpose])
    try:
        return _serializer(secret, purpose).loads(token, max_age=PURPOSES[purpose])
    except BadSignature:  # includes SignatureExpired
        return None


# Reply addresses live in an email's local part: at most 64 characters (RFC 5321), and some mail
# servers change its case. So they get a compact, lower-case form: base32 of an 80-bit HMAC, a
# 5-byte timestamp and "user_id:job_public_id" (about 55 characters for our ids).
_MAC_BYTES = 10


def _reply_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"workspace.reply", hashlib.sha256).digest()


def _sign_reply(secret: str, payload: Any) -> str:
    user_id, job = payload
    raw = int(time.time()).to_bytes(5, "big") + f"{user_id}:{job}".encode()
    mac = hmac.new(_reply_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.b32encode(mac + raw).decode().rstrip("=").lower()


def _unsign_reply(secret: str, token: str, max_age: int) -> list[Any] | None:
    try:
        data = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        return None
    mac, raw = data[:_MAC_BYTES], data[_MAC_BYTES:]
    expected = hmac.new(_reply_key(secret), raw, hashlib.sha256).digest()[:_MAC_BYTES]
    if len(raw) < 8 or not hmac.compare_digest(mac, expected):
        return None
    if time.time() - int.from_bytes(raw[:5], "big") > max_age:
        return None
    user, _, job = raw[5:].decode(errors="replace").partition(":")
    if not user.isdecimal() or not job:
        return None
    return [int(user), job]
