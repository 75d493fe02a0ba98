"""Fixed-window rate limits, in memory for one process or in Redis across workers."""
from __future__ import annotations

import threading
import time
from typing import Any


class RateLimiter:
    """Counts hits per key in windows of `window` seconds."""

    def __init__(self) -> None:
        self._redis: Any = None
        self._prefix = "rl"
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def init_app(self, app: Any) -> None:
        url = app.config.get("REDIS_URL")
        self._counts.clear()
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._prefix = f"{app.config.get('REDIS_NAMESPACE', 'workspace')}:rl"
        else:
            self._redis = None

    def count(self, key: str, window: int) -> int:
        """Hits so far in the current window."""
        bucket = int(time.time()) // window
        if self._redis is not None:
            return int(self._redis.get(f"{self._prefix}:{key}:{bucket}") or 0)
        with self._lock:
            stored = self._counts.get(key)
            return stored[1] if stored and stored[0] == bucket else 0

    def hit(self, key: str, window: int) -> int:
        """Record one hit; return the count in the current window including it."""
        bucket = int(time.time()) // window
        if self._redis is not None:
            name = f"{self._prefix}:{key}:{bucket}"
            pipe = self._redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, window + 1)
            return int(pipe.execute()[0])
        with self._lock:
            stored = self._counts.get(key)
            count = stored[1] + 1 if stored and stored[0] == bucket else 1
            self._counts[key] = (bucket, count)
            if len(self._counts) > 100_000:  # drop stale windows now and then
                self._counts = {k: v for k, v in self._counts.items() if v[0] == bucket}
            return count

    def retry_after(self, window: int) -> int:
        return window - int(time.time()) % window

    def take(self, key: str, limit: int, window: int) -> int | None:
        """Hit and return None when allowed, else seconds until the window resets."""
        if self.hit(key, window) > limit:
            return self.retry_after(window)
        return None


limiter = RateLimiter()
