"""The room history's hash chain: each event's hash covers the previous hash and a digest of its content.

The chain links over the digest of an event's data, not the data itself, so content a person deletes
(a message's text, its files) can be erased later while the chain still verifies: the erased event
keeps its stored digest, and every event whose content was not erased is checked against its digest.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One byte-exact JSON form for hashing: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data_digest(data: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of an event's data (what remains provable once the data is erased)."""
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def canonical_event(job: str, seq: int, type_: str, at: str, actor_id: int | None,
                    digest: str) -> dict[str, Any]:
    """What is linked of an event (the actor's id, not their display name, which may change)."""
    return {"job": job, "seq": seq, "type": type_, "at": at, "actor_id": actor_id, "data_digest": digest}


def link(prev_hash: str, canonical: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(canonical)).encode()).hexdigest()


def first_broken_link(events: Iterable[dict[str, Any]]) -> int | None:
    """Walk events from seq 1; the first seq that fails, or None.

    Each event has the canonical fields, `data_digest`, `prev_hash`, `hash`, `data` and `erased`
    (true when its content was erased on purpose: then only its stored digest can be linked).
    """
    prev, expected_seq = GENESIS_HASH, 1
    for e in events:
        digest = e["data_digest"]
        content_ok = bool(e["erased"]) or data_digest(e["data"]) == digest
        canonical = canonical_event(e["job"], e["seq"], e["type"], e["at"], e["actor_id"], digest)
        if (not content_ok or e["seq"] != expected_seq or e["prev_hash"] != prev
                or link(prev, canonical) != e["hash"]):
            return int(e["seq"])
        prev, expected_seq = e["hash"], expected_seq + 1
    return None
