"""State several workers share through Redis (rate limits, presence) keeps working while Redis is
away: each call falls back to this process's own memory, so limits still hold per worker and a room
still shows who is here on this worker; the shared copy takes over again once Redis answers (a
restart, a failover). One warning per outage, not one per call."""
from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)
_warned_at: dict[str, float] = {}


def shared_or_local(shared: Callable[[], T], local: Callable[[], T], what: str) -> T:
    """`shared()` (a Redis call), or `local()` when Redis cannot be reached right now."""
    import redis

    try:
        return shared()
    except redis.RedisError as exc:
        now = time.monotonic()
        if now - _warned_at.get(what, -60.0) >= 60:
            _warned_at[what] = now
            log.warning("Redis unavailable for %s (%s): using this worker's memory until it is back",
                        what, exc.__class__.__name__)
        return local()
