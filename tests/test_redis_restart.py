"""Redis (Flask-SocketIO's message queue between workers) restarts mid-stream: delivery between
workers recovers by itself within seconds, what was published while it was down is recovered by the
resume path (a join from the last seq), and no worker dies or answers a write with an error."""
from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from tests.servers import LiveServer, free_port
from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


class OwnRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
                                         "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def two_workers_own_redis(postgres_url, tmp_path):
    from tests.conftest import _truncate_postgres
    from tests.support import require_service

    import shutil

    require_service(shutil.which("redis-server") is not None, "redis-server (the Debian package redis-server)")
    _truncate_postgres(postgres_url)
    queue = OwnRedis().start()
    env = {"REDIS_NAMESPACE": f"restart-{uuid.uuid4().hex[:8]}"}
    a = LiveServer(postgres_url, tmp_path, redis_url=queue.url, env=env).start()
    b = LiveServer(postgres_url, tmp_path, redis_url=queue.url, env=env).start()
    yield a, b, queue
    a.stop()
    b.stop()
    queue.stop()


def test_delivery_recovers_after_redis_restarts(two_workers_own_redis):
    a, b, queue = two_workers_own_redis
    job, people = job_with_people(a)
    watcher = Watcher(b, people["client"]).connect()
    try:
        assert watcher.join(job["id"])["ok"]
        first = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "before"}, status=201)
        assert watcher.wait_for(lambda: first.json()["event"]["seq"] in watcher.seqs(job["id"]))

        queue.stop()  # the control: with Redis down, B cannot hear what A publishes
        during = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "during"}).json()
        assert "event" in during, during  # the write itself succeeds: the database has it
        assert not watcher.wait_for(lambda: during["event"]["seq"] in watcher.seqs(job["id"]), timeout=2)
        queue.start()

        # Live delivery comes back by itself: keep posting until B hears one, within seconds.
        deadline, heard = time.monotonic() + 20, None
        while heard is None and time.monotonic() < deadline:
            seq = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "after"},
                        status=201).json()["event"]["seq"]
            if watcher.wait_for(lambda seq=seq: seq in watcher.seqs(job["id"]), timeout=1):
                heard = seq
        assert heard is not None, "delivery between workers did not recover"
        # The resume path (what the browser does on a gap or a newer head) closes the gap.
        assert watcher.join(job["id"], after=0)["ok"]
        assert during["event"]["seq"] in watcher.seqs(job["id"])
        assert watcher.seqs(job["id"]) == list(range(1, max(watcher.seqs(job["id"])) + 1))
        assert a.alive() and b.alive()
        assert a.app_tracebacks() == [] and b.app_tracebacks() == []
    finally:
        watcher.close()
