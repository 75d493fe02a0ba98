"""Who is in a room right now (ephemeral): per-socket entries, several tabs of one person count once.

In memory for one process; in Redis (a hash per job, entries refreshed by each worker's ticker and
dropped when stale) when workers share a message queue, with this worker's own entries kept in
memory too, which a room falls back to while Redis is away.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any

from workspace.shared_state import shared_or_local

STALE_AFTER = 30.0  # seconds without a refresh from the socket's worker
CACHE_SECONDS = 1.0  # how long one room's `watching` answer is reused (see `watching`)


class Presence:
    def __init__(self) -> None:
        self._redis: Any = None
        self._local: dict[str, dict[str, tuple[dict[str, Any], float]]] = {}
        # Sockets per person per job (this worker's), and each job's last `watching` answer, dropped when
        # someone arrives or leaves here (a person's first socket or last), kept at most CACHE_SECONDS (so
        # entries going stale still drop out). A wave of N joins then costs O(N), not O(N^2).
        self._counts: dict[str, dict[int, int]] = {}
        self._watching: dict[str, tuple[list[dict[str, Any]], float]] = {}
        self._lock = threading.Lock()
        self._prefix = "presence"

    def init_app(self, app: Any) -> None:
        url = app.config.get("REDIS_URL")
        self._local.clear()
        self._counts.clear()
        self._watching.clear()
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._prefix = f"{app.config.get('REDIS_NAMESPACE', 'workspace')}:presence"
        else:
            self._redis = None

    def add(self, job: str, sid: str, member: dict[str, Any]) -> None:
        self.refresh(job, {sid: member})

    def refresh(self, job: str, sids: dict[str, dict[str, Any]]) -> None:
        """Stamp the entries of sockets this worker holds in the room (a join, or its ticker for those
        still here): in memory, and in Redis in one round trip for the room (a worker holds thousands)."""
        now = time.time()
        with self._lock:  # this worker's own copy: what a room shows while Redis is away
            entries = self._local.setdefault(job, {})
            counts = self._counts.setdefault(job, {})
            for sid, member in sids.items():
                if sid not in entries:
                    counts[member["id"]] = counts.get(member["id"], 0) + 1
                    if counts[member["id"]] == 1:
                        self._watching.pop(job, None)
                entries[sid] = (member, now)
        if self._redis is not None and sids:
            shared_or_local(lambda: self._shared_stamp(job, sids, now), lambda: None, "presence")

    def _shared_stamp(self, job: str, sids: dict[str, dict[str, Any]], now: float) -> None:
        key = f"{self._prefix}:{job}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.hset(key, mapping={sid: json.dumps({"m": member, "t": now}) for sid, member in sids.items()})
        pipe.expire(key, int(STALE_AFTER * 4))
        pipe.execute()

    def remove(self, job: str, sid: str) -> bool:
        with self._lock:
            gone = self._local.get(job, {}).pop(sid, None)
            local = gone is not None
            if gone is not None:
                counts = self._counts.get(job, {})
                left = counts.get(gone[0]["id"], 1) - 1
                if left <= 0:
                    counts.pop(gone[0]["id"], None)
                    self._watching.pop(job, None)
                else:
                    counts[gone[0]["id"]] = left
                if not self._local.get(job):
                    self._local.pop(job, None)
                    self._counts.pop(job, None)
        if self._redis is not None:
            return shared_or_local(lambda: bool(self._redis.hdel(f"{self._prefix}:{job}", sid)), lambda: local,
                                   "presence")
        return local

    def sids(self, job: str) -> set[str]:
        """Sockets (on any worker) that joined the job's room and are fresh: who may be signalled."""
        cutoff = time.time() - STALE_AFTER
        if self._redis is not None:
            return shared_or_local(lambda: {sid.decode() for sid, value in self._redis.hgetall(
                f"{self._prefix}:{job}").items() if json.loads(value)["t"] >= cutoff},
                lambda: self._local_sids(job, cutoff), "presence")
        return self._local_sids(job, cutoff)

    def _local_sids(self, job: str, cutoff: float) -> set[str]:
        with self._lock:
            return {sid for sid, (_m, t) in self._local.get(job, {}).items() if t >= cutoff}

    def watching(self, job: str, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Unique people in the room, freshest entries only.

        The answer is kept for CACHE_SECONDS and dropped when someone arrives or leaves through this
        worker. Alone, a worker sees every arrival, so that is always right. With Redis, arrivals on
        other workers are not seen here: a joiner's first answer (`fresh=False`) may then be up to
        CACHE_SECONDS old, and the room's presence broadcasts (`fresh=True`, which read Redis) correct
        it. Without the cache, a wave of N joins read the room's whole hash N times: O(N^2)."""
        now = time.time()
        cutoff = now - STALE_AFTER
        if not fresh or self._redis is None:
            with self._lock:
                cached = self._watching.get(job)
            if cached is not None and now - cached[1] < CACHE_SECONDS:
                return cached[0]
        if self._redis is not None:
            entries = shared_or_local(lambda: self._shared_entries(job, cutoff),
                                      lambda: self._local_entries(job, cutoff), "presence")
        else:
            entries = self._local_entries(job, cutoff)
        people: dict[int, dict[str, Any]] = {}
        for member in entries:
            people.setdefault(member["id"], member)
        result = sorted(people.values(), key=lambda m: (m["role"] != "freelancer", m["name"]))
        with self._lock:
            self._watching[job] = (result, now)
        return result


    def _shared_entries(self, job: str, cutoff: float) -> list[dict[str, Any]]:
        entries = []
        for sid, value in self._redis.hgetall(f"{self._prefix}:{job}").items():
            item = json.loads(value)
            if item["t"] < cutoff:
                self._redis.hdel(f"{self._prefix}:{job}", sid)
            else:
                entries.append(item["m"])
        return entries

    def _local_entries(self, job: str, cutoff: float) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m, t in self._local.get(job, {}).values() if t >= cutoff]


presence = Presence()
