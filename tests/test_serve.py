"""`make serve`'s layout, for real: deploy/serve.py starts K workers behind Debian's nginx. Through the
one port: static files from nginx with cache headers, the API, Socket.IO over WebSocket, rooms
shared across workers through Redis, and a rolling restart (`make reload`) that loses no event."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import ROOT, LiveServer
from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


class Layout(LiveServer):
    """deploy/serve.py instead of one wsgi.py: `url` is nginx's port."""

    def __init__(self, database_url: str, instance: Path, *, workers: int, redis_url: str | None = None) -> None:
        super().__init__(database_url, instance, redis_url=redis_url,
                         env={"WORKERS": str(workers), "RUN_DIR": str(instance / "run"),
                              "REDIS_NAMESPACE": f"serve-{uuid.uuid4().hex[:8]}"})
        self.log_path = instance / "serve.log"

    def start(self) -> "Layout":
        self._log = open(self.log_path, "ab")
        # Its own process group, so that `stop` can take the whole layout down if serve.py does not.
        self.process = subprocess.Popen([sys.executable, "deploy/serve.py"], cwd=ROOT, env=self.env,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve.py exited: {self.log()}")
            if "Serving on" in self.log():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"serve.py did not start: {self.log()}")

    def stop(self) -> None:
        """SIGTERM, and the time serve.py needs to drain (nginx, then every worker at once); only then
        SIGKILL, to the whole group. LiveServer's 10 s were shorter than a stop during a reload: serve.py
        was killed alone, its workers lived on, and when this session dropped its database they logged
        "database ws_test_... does not exist" into this test's worker logs (the CI flake)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if hasattr(self, "_log"):
            self._log.close()

    def children(self) -> list[int]:
        """serve.py's own processes: the workers and nginx's master."""
        assert self.process is not None
        return [int(c) for task in Path(f"/proc/{self.process.pid}/task").iterdir()
                for c in (task / "children").read_text().split()]

    def orphans(self) -> list[int]:
        """Processes of this layout's group still running (none once `stop` has returned)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and self.process is not None:
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == self.process.pid and fields[0] != "Z":  # pgrp
                    found.append(int(entry.name))
        return found

    def worker_ports(self) -> list[int]:
        conf = (self.instance / "run" / "nginx.conf").read_text()
        return [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", conf)]


def nginx_exists() -> bool:
    return Path("/usr/sbin/nginx").exists()


@pytest.fixture
def layout(postgres_url, redis_url, tmp_path):
    from tests.conftest import _truncate_postgres, require_service

    require_service(nginx_exists(), "nginx (/usr/sbin/nginx; `make test` installs it as root)")
    _truncate_postgres(postgres_url)
    server = Layout(postgres_url, tmp_path, workers=2, redis_url=redis_url).start()
    yield server
    stop_layout(server)


def stop_layout(server: Layout) -> None:
    """Stop it, and fail if any of its processes outlived serve.py (after killing them)."""
    server.stop()
    left = server.orphans()
    if left:
        os.killpg(server.process.pid, signal.SIGKILL)
    assert not server.alive() and left == [], left


def test_two_workers_behind_nginx_serve_one_room(layout):
    static = requests.get(layout.url + "/static/css/app.css", timeout=5)
    assert static.status_code == 200 and static.headers["Server"].startswith("nginx")
    assert "max-age=600" in static.headers["Cache-Control"] and "ETag" in static.headers
    ready = requests.get(layout.url + "/readyz", timeout=5).json()
    assert ready == {"ok": True, "database": "ok", "queue": "ok"}
    ports = layout.worker_ports()
    assert len(ports) == 2

    job, people = job_with_people(layout)  # over the API, through nginx
    through_nginx = Watcher(layout, people["client"]).connect()  # WebSocket upgrade through the proxy
    direct = Watcher(Direct(ports[1]), people["viewer"]).connect()  # the other worker, not via nginx
    try:
        for w in (through_nginx, direct):
            assert w.join(job["id"])["ok"]
        posted = layout.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "Through nginx"},
                            status=201).json()["event"]
        for w in (through_nginx, direct):
            assert w.wait_for(lambda w=w: posted["seq"] in w.seqs(job["id"])), w.seqs(job["id"])
    finally:
        through_nginx.close()
        direct.close()


def test_a_rolling_restart_loses_no_event(layout):
    job, people = job_with_people(layout)
    watcher = Watcher(layout, people["client"]).connect()
    assert watcher.join(job["id"])["ok"]
    sent: list[int] = []
    failures: list[int] = []
    stop = threading.Event()

    def post_steadily() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            r = requests.post(f"{layout.url}/api/v1/jobs/{job['id']}/messages", timeout=15,
                              json={"body": f"m{n}", "client_ref": f"r{n}"},
                              headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
            (sent if r.status_code == 201 else failures).append(r.json()["event"]["seq"] if r.status_code == 201
                                                                else r.status_code)
            time.sleep(0.05)

    poster = threading.Thread(target=post_steadily)
    poster.start()
    try:
        time.sleep(1)
        os.kill(layout.process.pid, signal.SIGHUP)  # what `make reload` sends
        deadline = time.monotonic() + 90
        while "Workers restarted one by one." not in layout.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Workers restarted one by one." in layout.log(), layout.log()
        time.sleep(1)
    finally:
        stop.set()
        poster.join(20)
    assert len(sent) > 20 and failures == [], (len(sent), failures)
    # The socket was cut when its worker restarted; a new one resumes from what it had and has it all.
    had = max(watcher.seqs(job["id"]) or [0])
    watcher.close()
    again = Watcher(layout, people["client"]).connect()
    try:
        assert again.join(job["id"], after=had)["ok"]
        seen = set(watcher.seqs(job["id"])) | set(again.seqs(job["id"]))
        assert set(sent) <= seen
    finally:
        again.close()


def test_sqlite_serves_one_worker_and_says_so(sqlite_template, tmp_path):
    import shutil

    from tests.conftest import require_service

    require_service(nginx_exists(), "nginx (/usr/sbin/nginx; `make test` installs it as root)")
    shutil.copy(sqlite_template, tmp_path / "db.sqlite")
    server = Layout(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, workers=3).start()
    try:
        assert "SQLite serves one worker (WORKERS=3 asked)" in server.log()
        assert len(server.worker_ports()) == 1
        assert requests.get(server.url + "/healthz", timeout=5).json() == {"ok": True}
    finally:
        server.stop()


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_stop_during_a_rolling_restart_leaves_nothing_running(layout):
    """The CI flake's mechanism: a stop that came mid-reload took serve.py longer than its caller waited."""
    before = layout.children()
    assert len(before) == 3 and all(running(p) for p in before)  # two workers and nginx
    os.kill(layout.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 30
    while len(layout.children()) < 4 and time.monotonic() < deadline:  # the first replacement is starting
        time.sleep(0.1)
    assert len(layout.children()) == 4, layout.log()
    started = time.monotonic()
    layout.process.terminate()
    layout.process.wait(45)
    assert time.monotonic() - started < 30, layout.log()  # bounded (a busy CI machine drains slowly)
    assert "Reload cut short: stopping." in layout.log()
    assert not any(running(p) for p in before) and layout.orphans() == []


def test_serve_killed_outright_takes_its_workers_and_nginx_along(layout):
    children = layout.children()
    assert len(children) == 3 and all(running(p) for p in children)  # the control: they run
    os.kill(layout.process.pid, signal.SIGKILL)  # no handler runs: only the parent-death signal is left
    deadline = time.monotonic() + 20
    while any(running(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(p) for p in children)


class Direct:
    """A worker's own address, for a socket that bypasses nginx."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - Watcher only reads `url`
        raise AttributeError(name)
