"""Who is in a room right now (ephemeral): per-socket entries, several tabs of one person count once.

In memory for one process; in Redis (a hash per job, entries refreshed by each worker's ticker and
dropped when stale) when workers share a message queue.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

STALE_AFTER = 30.0  # seconds without a refresh from the socket's worker


class Presence:
    def __init__(self) -> None:
        self._redis: Any = None
        self._local: dict[str, dict[str, tuple[dict[str, Any], float]]] = {}
        self._lock = threading.Lock()
        self._prefix = "presence"

    def init_app(self, app: Any) -> None:
        url = app.config.get("REDIS_URL")
        self._local.clear()
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._prefix = f"{app.config.get('REDIS_NAMESPACE', 'workspace')}:presence"
        else:
            self._redis = None

    def add(self, job: str, sid: str, member: dict[str, Any]) -> None:
        now = time.time()
        if self._redis is not None:
            self._redis.hset(f"{self._prefix}:{job}", sid, json.dumps({"m": member, "t": now}))
            self._redis.expire(f"{self._prefix}:{job}", int(STALE_AFTER * 4))
            return
        with self._lock:
            self._local.setdefault(job, {})[sid] = (member, now)

    def refresh(self, job: str, sids: dict[str, dict[str, Any]]) -> None:
        """Re-stamp the entries of sockets this worker still holds in the room."""
        for sid, member in sids.items():
            self.add(job, sid, member)

    def remove(self, job: str, sid: str) -> bool:
        if self._redis is not None:
            return bool(self._redis.hdel(f"{self._prefix}:{job}", sid))
        with self._lock:
            return self._local.get(job, {}).pop(sid, None) is not None

    def sids(self, job: str) -> set[str]:
        """Sockets (on any worker) that joined the job's room and are fresh: who may be signalled."""
        cutoff = time.time() - STALE_AFTER
        if self._redis is not None:
            return {sid.decode() for sid, value in self._redis.hgetall(f"{self._prefix}:{job}").items()
                    if json.loads(value)["t"] >= cutoff}
        with self._lock:
            return {sid for sid, (_m, t) in self._local.get(job, {}).items() if t >= cutoff}

    def watching(self, job: str) -> list[dict[str, Any]]:
        """Unique people in the room, freshest entries only."""
        cutoff = time.time() - STALE_AFTER
        if self._redis is not None:
            raw = self._redis.hgetall(f"{self._prefix}:{job}")
            entries = []
            for sid, value in raw.items():
                item = json.loads(value)
                if item["t"] < cutoff:
                    self._redis.hdel(f"{self._prefix}:{job}", sid)
                else:
                    entries.append(item["m"])
        else:
            with self._lock:
                entries = [m for m, t in self._local.get(job, {}).values() if t >= cutoff]
        people: dict[int, dict[str, Any]] = {}
        for member in entries:
            people.setdefault(member["id"], member)
        return sorted(people.values(), key=lambda m: (m["role"] != "freelancer", m["name"]))


presence = Presence()
