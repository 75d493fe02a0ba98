"""Presence in Redis (several workers): a worker's ticker stamps all its sockets of a room in one
pipelined round trip; what it wrote is what every worker reads, and a stale entry drops out."""
from __future__ import annotations

import json
import time
import uuid
from types import SimpleNamespace

import redis

from workspace.realtime.presence import STALE_AFTER, Presence


def _presence(redis_url: str) -> tuple[Presence, str]:
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    p = Presence()
    p.init_app(SimpleNamespace(config={"REDIS_URL": redis_url, "REDIS_NAMESPACE": namespace}))
    return p, f"{namespace}:presence"


def test_a_rooms_sockets_are_stamped_together_and_read_by_another_worker(redis_url):
    here, prefix = _presence(redis_url)
    there = Presence()
    there.init_app(SimpleNamespace(config={"REDIS_URL": redis_url, "REDIS_NAMESPACE": prefix.split(":")[0]}))
    people = [{"id": n % 40, "name": f"P{n % 40:02d}", "role": "viewer"} for n in range(120)]
    here.refresh("job1", {f"sid{n}": person for n, person in enumerate(people)})

    r = redis.Redis.from_url(redis_url)
    key = f"{prefix}:job1"
    try:
        assert r.hlen(key) == 120 and 0 < r.ttl(key) <= STALE_AFTER * 4
        assert len(there.watching("job1")) == 40  # another worker sees the 40 people, each once
        assert there.sids("job1") == {f"sid{n}" for n in range(120)}

        # An entry nobody re-stamped for STALE_AFTER drops out (its worker died).
        stale = json.dumps({"m": people[0], "t": time.time() - STALE_AFTER - 1})
        r.hset(key, "sid0", stale)
        assert "sid0" not in there.sids("job1")
        here.refresh("job1", {"sid0": people[0]})  # the next tick of its (living) worker brings it back
        assert "sid0" in there.sids("job1")
    finally:
        r.delete(key)


def test_a_joiners_answer_is_reused_briefly_and_the_rooms_broadcasts_read_redis(redis_url):
    """A wave of N joins must not read the room's whole hash N times: a joiner's answer is reused for
    up to a second (dropped at once when someone arrives or leaves through this worker); the room's
    presence broadcasts (`fresh=True`) read Redis, so arrivals on other workers reach everyone."""
    here, prefix = _presence(redis_url)
    there = Presence()
    there.init_app(SimpleNamespace(config={"REDIS_URL": redis_url, "REDIS_NAMESPACE": prefix.split(":")[0]}))
    ann, bob, cy = ({"id": n, "name": name, "role": "viewer"} for n, name in ((1, "Ann"), (2, "Bob"), (3, "Cy")))
    r = redis.Redis.from_url(redis_url)
    try:
        here.add("job1", "a", ann)
        assert [p["id"] for p in there.watching("job1")] == [1]
        here.add("job1", "b", bob)  # on the other worker
        assert [p["id"] for p in there.watching("job1")] == [1]  # the joiner's answer, reused
        assert [p["id"] for p in there.watching("job1", fresh=True)] == [1, 2]
        assert [p["id"] for p in there.watching("job1")] == [1, 2]  # the fresh answer is kept

        here.remove("job1", "b")
        there.add("job1", "c", cy)  # an arrival through this worker drops the kept answer
        assert [p["id"] for p in there.watching("job1")] == [1, 3]
        there.remove("job1", "c")  # and so does a departure
        assert [p["id"] for p in there.watching("job1")] == [1]
    finally:
        r.delete(f"{prefix}:job1")
