"""Signed heads of each job's hash chain: the server signs {job, seq, hash, at} with its Ed25519 key
and publishes the public key, so a member (or anyone holding a copy of a checkpoint) can later prove
what the history was. A history served afterwards that does not extend a signed head was rewritten
or cut. The key is the instance's (generated once like the secret key) or SIGNING_KEY."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlalchemy import select

from workspace.db import iso
from workspace.domain.chain import GENESIS_HASH, canonical_json
from workspace.extensions import db
from workspace.models import Event, Job, User
from workspace.services.access import load_member

ALGORITHM = "Ed25519"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _private_key() -> Ed25519PrivateKey:
    seed = current_app.config["SIGNING_KEY"]
    raw = base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4))
    return Ed25519PrivateKey.from_private_bytes(raw[:32])


def _public_raw() -> bytes:
    return _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public_raw: bytes) -> str:
    """A short name for a public key: the first 16 hex digits of its sha256."""
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_keys() -> dict[str, Any]:
    """What verifiers need: the key that signs checkpoints (raw 32 bytes, base64url)."""
    raw = _public_raw()
    return {"keys": [{"key_id": key_id(raw), "alg": ALGORITHM, "public_key": _b64(raw)}]}


def latest_checkpoint(actor: User, job_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The job's current head, signed now. Members only (the job's existence is not disclosed)."""
    job, _membership = load_member(db.session(), actor, job_id)
    return sign_head(job, job.last_seq, now)


def sign_head(job: Job, seq: int, now: datetime | None = None) -> dict[str, Any]:
    """A signed checkpoint of the job's chain at `seq` (its head when `seq` is the job's last_seq)."""
    head = db.session.scalar(select(Event.hash).where(Event.job_id == job.id, Event.seq == seq)) if seq else None
    body = {"job": job.public_id, "seq": seq, "hash": head or GENESIS_HASH,
            "at": iso(now or datetime.now(timezone.utc))}
    signature = _private_key().sign(canonical_json(body).encode())
    return {"checkpoint": body, "signature": _b64(signature), "key_id": key_id(_public_raw()), "alg": ALGORITHM}


def sign_statement(body: dict[str, Any]) -> dict[str, Any]:
    """The instance's signature of any statement (e.g. a dossier's manifest digest): {signed, signature, ...}."""
    signature = _private_key().sign(canonical_json(body).encode())
    return {"signed": body, "signature": _b64(signature), "key_id": key_id(_public_raw()), "alg": ALGORITHM}


def public_key() -> str:
    """The signing key's public half, base64url (what GET /api/v1/keys lists)."""
    return _b64(_public_raw())


def verify(checkpoint: dict[str, Any], signature: str, public_key: str) -> bool:
    """Whether `signature` is the key's signature of exactly this checkpoint (canonical JSON)."""
    from cryptography.exceptions import InvalidSignature

    def raw(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    try:
        Ed25519PublicKey.from_public_bytes(raw(public_key)).verify(raw(signature), canonical_json(checkpoint).encode())
    except (InvalidSignature, ValueError):
        return False
    return True
