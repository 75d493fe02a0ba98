"""Fixed-window rate limits, in memory for one process or in Redis across workers."""
from __future__ import annotations

import re
import threading
import time
from typing import Any

from workspace.shared_state import shared_or_local

# Give a slot back only if the window's key still exists (a new window must never go below zero).
_RELEASE = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end
return 0
"""


class RateLimiter:
    """Counts hits per key in windows of `window` seconds."""

    def __init__(self) -> None:
        self._redis: Any = None
        self._release: Any = None
        self._prefix = "rl"
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def init_app(self, app: Any) -> None:
        url = app.config.get("REDIS_URL")
        self._counts.clear()
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._release = self._redis.register_script(_RELEASE)
            self._prefix = f"{app.config.get('REDIS_NAMESPACE', 'workspace')}:rl"
        else:
            self._redis = None
            self._release = None

    def count(self, key: str, window: int) -> int:
        """Hits so far in the current window."""
        bucket = int(time.time()) // window
        if self._redis is not None:
            return shared_or_local(lambda: int(self._redis.get(f"{self._prefix}:{key}:{bucket}") or 0),
                                   lambda: self._local_count(key, bucket), "rate limits")
        return self._local_count(key, bucket)

    def _local_count(self, key: str, bucket: int) -> int:
        with self._lock:
            stored = self._counts.get(key)
            return stored[1] if stored and stored[0] == bucket else 0

    def hit(self, key: str, window: int) -> int:
        """Record one hit; return the count in the current window including it (atomic: two callers
        never see the same count, so "hit first, then decide" admits at most `limit` of them)."""
        bucket = int(time.time()) // window
        if self._redis is not None:
            return shared_or_local(lambda: self._shared_hit(f"{self._prefix}:{key}:{bucket}", window),
                                   lambda: self._local_hit(key, bucket), "rate limits")
        return self._local_hit(key, bucket)

    def _shared_hit(self, name: str, window: int) -> int:
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        return int(pipe.execute()[0])

    def _local_hit(self, key: str, bucket: int) -> int:
        with self._lock:
            stored = self._counts.get(key)
            count = stored[1] + 1 if stored and stored[0] == bucket else 1
            self._counts[key] = (bucket, count)
            if len(self._counts) > 100_000:  # drop stale windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[0] == bucket}
            return count

    def release(self, key: str, window: int) -> None:
        """Give back one hit of the current window (a slot taken for an attempt that succeeded)."""
        bucket = int(time.time()) // window
        if self._redis is not None:
            shared_or_local(lambda: self._release(keys=[f"{self._prefix}:{key}:{bucket}"]),
                            lambda: self._local_release(key, bucket), "rate limits")
            return
        self._local_release(key, bucket)

    def _local_release(self, key: str, bucket: int) -> None:
        with self._lock:
            stored = self._counts.get(key)
            if stored and stored[0] == bucket and stored[1] > 0:
                self._counts[key] = (bucket, stored[1] - 1)

    def clear_prefix(self, prefix: str) -> int:
        """Forget every counter whose key starts with `prefix` (e.g. an account's login failures once
        its owner proved who they are by a reset email); returns how many were dropped."""
        if self._redis is not None:
            return shared_or_local(lambda: self._shared_clear(prefix), lambda: self._local_clear(prefix),
                                   "rate limits")
        return self._local_clear(prefix)

    def _shared_clear(self, prefix: str) -> int:
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", f"{self._prefix}:{prefix}") + "*"
        names = list(self._redis.scan_iter(match=pattern, count=500))
        return int(self._redis.delete(*names)) if names else 0

    def _local_clear(self, prefix: str) -> int:
        with self._lock:
            doomed = [k for k in self._counts if k.startswith(prefix)]
            for k in doomed:
                del self._counts[k]
            return len(doomed)

    def retry_after(self, window: int) -> int:
        return window - int(time.time()) % window

    def take(self, key: str, limit: int, window: int) -> int | None:
        """Hit and return None when allowed, else seconds until the window resets."""
        if self.hit(key, window) > limit:
            return self.retry_after(window)
        return None


limiter = RateLimiter()
