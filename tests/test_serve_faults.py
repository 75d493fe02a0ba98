"""Faults in `make serve`'s layout (deploy/serve.py: two workers behind nginx), for real.

SIGKILL one worker mid-stream: its sockets drop, their clients reconnect through nginx (which sends
them to the worker still up) and resume with `join {job, after: last_seq}` as the browser does; no
committed event is lost. The controls show the fault is real: the killed pid is gone, every client
of that worker saw its connection drop, while a client of the other worker never did."""
from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sockets import Watcher, job_with_people
from tests.test_serve import Direct, Layout, nginx_exists, stop_layout

pytestmark = pytest.mark.realtime


@pytest.fixture
def layout(postgres_url, redis_url, tmp_path):
    from tests.conftest import _truncate_postgres, require_service

    require_service(nginx_exists(), "nginx (/usr/sbin/nginx; `make test` installs it as root)")
    _truncate_postgres(postgres_url)
    server = Layout(postgres_url, tmp_path, workers=2, redis_url=redis_url).start()
    yield server
    stop_layout(server)


def workers_by_port(layout: Layout) -> dict[int, int]:
    """{port: pid} of serve.py's wsgi.py children (each worker's PORT is in its environment)."""
    found = {}
    for task in Path(f"/proc/{layout.process.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                if b"wsgi.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    continue
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            port = next(int(v[5:]) for v in env if v.startswith(b"PORT="))
            found[port] = int(pid)
    return found


def sockets_on(port: int) -> int:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return int(float(re.search(r"^workspace_sockets_connected (\S+)$", text, re.MULTILINE).group(1)))


def gone(pid: int) -> bool:
    """The process no longer runs (no /proc entry, or a zombie its parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Resuming:
    """A python-socketio client that, like the room page, reconnects when its socket drops and asks
    for what it missed: `join {job, after: last seq it has}`; a `head` beyond it also triggers that."""

    def __init__(self, server: Any, who: dict[str, Any], job: str) -> None:
        self.watcher = Watcher(server, who)
        self.job = job
        self.drops = 0
        self.sids: list[str] = []
        self.catch_ups = 0
        self.watcher.client.on("disconnect", self._dropped)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._keep_up, daemon=True)

    def _dropped(self, *_args: Any) -> None:
        self.drops += 1

    def last(self) -> int:
        return max(self.watcher.seqs(self.job) or [0])

    def start(self) -> "Resuming":
        self.watcher.connect()
        self.sids.append(self.watcher.client.get_sid())
        assert self.watcher.join(self.job)["ok"]
        self.thread.start()
        return self

    def _keep_up(self) -> None:
        while not self.stop.is_set():
            time.sleep(0.1)
            try:
                if not self.watcher.client.connected:
                    time.sleep(0.3)  # the page waits a moment too (reconnection delay)
                    self.watcher.connect()
                    self.sids.append(self.watcher.client.get_sid())
                    self.watcher.join(self.job, after=self.last())
                else:
                    with self.watcher.lock:
                        heads = [h["last_seq"] for h in self.watcher.signals["head"] if h["job"] == self.job]
                    if heads and max(heads) > self.last():
                        time.sleep(0.5)  # a live event may still be on its way
                        if max(heads) > self.last():
                            self.catch_ups += 1
                            self.watcher.join(self.job, after=self.last())
            except Exception:  # noqa: BLE001 - a refused reconnect is retried, as the page does
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.watcher.close()


def test_a_worker_killed_mid_stream_loses_nothing_after_resume(layout):
    job, people = job_with_people(layout)
    by_port = workers_by_port(layout)
    assert sorted(by_port) == sorted(layout.worker_ports())
    # Through nginx: sticky by address, so this machine's clients all reach one worker.
    behind = [Resuming(layout, people[role], job["id"]).start() for role in ("client", "viewer")]
    victim_port = next(p for p in by_port if sockets_on(p) == 2)
    survivor_port = next(p for p in by_port if p != victim_port)
    victim = by_port[victim_port]
    # The control: a client of the other worker (directly on its port) must not notice anything.
    bystander = Resuming(Direct(survivor_port), people["freelancer"], job["id"]).start()

    sent: list[int] = []
    retried: list[Any] = []
    stop = threading.Event()

    def post_steadily() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            body = {"body": f"m{n}", "client_ref": f"k{n}"}
            for _attempt in range(100):  # a request the dying worker had is retried, as a client would
                try:
                    r = requests.post(f"{layout.url}/api/v1/jobs/{job['id']}/messages", json=body, timeout=10,
                                      headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
                except requests.RequestException as exc:
                    retried.append(type(exc).__name__)
                else:
                    if r.status_code == 201:
                        sent.append(r.json()["event"]["seq"])
                        break
                    retried.append(r.status_code)
                time.sleep(0.1)
            time.sleep(0.05)

    poster = threading.Thread(target=post_steadily)
    poster.start()
    try:
        time.sleep(1.5)
        before_kill = len(sent)
        os.kill(victim, signal.SIGKILL)
        # The fault is real: the process is gone and both of its clients lost their connection.
        deadline = time.monotonic() + 10
        while not gone(victim) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(victim)
        assert all(w.watcher.wait_for(lambda w=w: w.drops >= 1, timeout=10) for w in behind), \
            [w.drops for w in behind]
        # They come back through nginx (on the other worker, or on the victim's replacement) ...
        assert all(w.watcher.wait_for(lambda w=w: len(w.sids) >= 2 and w.watcher.client.connected, timeout=20)
                   for w in behind), [w.sids for w in behind]
        time.sleep(2)  # and keep receiving while messages go on
    finally:
        stop.set()
        poster.join(30)
    print(f"posted {len(sent)} ({before_kill} before the kill), retried {retried}")  # shown with -s
    assert before_kill >= 3 and len(sent) >= before_kill + 5, (before_kill, len(sent), retried)
    try:
        for w in (*behind, bystander):
            assert w.watcher.wait_for(lambda w=w: set(sent) <= set(w.watcher.seqs(job["id"])), timeout=20), \
                (sorted(set(sent) - set(w.watcher.seqs(job["id"]))), w.drops, w.catch_ups)
            seqs = sorted(set(w.watcher.seqs(job["id"])))
            assert seqs == list(range(seqs[0], seqs[-1] + 1))  # no gap anywhere
        print("drops", [w.drops for w in behind], "head catch-ups", [w.catch_ups for w in (*behind, bystander)])
        assert bystander.drops == 0 and len(bystander.sids) == 1  # the other worker's client never noticed
        assert all(w.sids[0] != w.sids[-1] for w in behind)  # new sessions, not the old ones
    finally:
        for w in (*behind, bystander):
            w.close()
    # serve.py noticed and started the worker again; the layout serves on.
    deadline = time.monotonic() + 30
    while "starting it again" not in layout.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert re.search(r"worker \d died \(-9\); starting it again", layout.log()), layout.log()
    assert requests.get(layout.url + "/readyz", timeout=5).status_code == 200
