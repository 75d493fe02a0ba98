"""The room history's hash chain: each event's hash covers the previous hash and its canonical JSON."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One byte-exact JSON form for hashing: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_event(job: str, seq: int, type_: str, at: str, actor_id: int | None,
                    data: dict[str, Any]) -> dict[str, Any]:
    """What is hashed of an event (the actor's id, not their display name, which may change)."""
    return {"job": job, "seq": seq, "type": type_, "at": at, "actor_id": actor_id, "data": data}


def link(prev_hash: str, canonical: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(canonical)).encode()).hexdigest()


def first_broken_link(events: Iterable[dict[str, Any]]) -> int | None:
    """Walk events (canonical fields + prev_hash + hash) from seq 1; the first seq that fails, or None."""
    prev, expected_seq = GENESIS_HASH, 1
    for e in events:
        canonical = canonical_event(e["job"], e["seq"], e["type"], e["at"], e["actor_id"], e["data"])
        if e["seq"] != expected_seq or e["prev_hash"] != prev or link(prev, canonical) != e["hash"]:
            return int(e["seq"])
        prev, expected_seq = e["hash"], expected_seq + 1
    return None
