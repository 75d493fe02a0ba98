"""The outbox with real processes: a server killed mid-send loses nothing (the next round sends it),
and two workers on PostgreSQL send each email exactly once."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.servers import ROOT, LiveServer, free_port

pytestmark = pytest.mark.realtime


class StallingSmtp:
    """A TCP server that accepts connections and never answers: a sender talking to it hangs mid-send."""

    def __init__(self) -> None:
        self.port = free_port()
        self.accepted = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(16)
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self._sock.close()
        for conn in self._held:
            conn.close()


def wait_until(predicate: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def outbox(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status, message_id, to_addr FROM email_outbox ORDER BY id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_server_killed_mid_send_loses_nothing(tmp_path: Path, sqlite_template: Path, mailbox: Any) -> None:
    import shutil

    shutil.copy(sqlite_template, tmp_path / "mail.db")
    url = f"sqlite:///{tmp_path / 'mail.db'}"
    stall = StallingSmtp()
    server = LiveServer(url, tmp_path, env={"SMTP_URL": f"smtp://127.0.0.1:{stall.port}",
                                            "PUBLIC_URL": "http://example.test"}).start()
    try:
        owner = server.signup("owner")  # commits the account and its verification email
        assert stall.accepted.wait(15), "the sender never tried to send"
        rows = outbox(url)
        assert [r[1] for r in rows if r[3] == owner["email"]] == ["sending"]
        server.kill()  # SIGKILL while the SMTP conversation hangs
    finally:
        server.stop()
        stall.close()
    # The next round (here: the operator's command, 3 minutes later) sends it, exactly once.
    later = (datetime.now(timezone.utc) + timedelta(minutes=3)).isoformat()
    env = {**server.env, "SMTP_URL": mailbox.url}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "tasks", "run-once", "--now", later],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "emails_sent=1" in result.stdout
    mail = mailbox.wait_to(owner["email"])
    assert len(mail) == 1 and mail[0]["Message-ID"] == rows[-1][2]
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "tasks", "run-once", "--now", later],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "emails_sent=0" in result.stdout and len(mailbox.to(owner["email"])) == 1




def test_two_workers_on_postgres_send_each_email_once(postgres_url: str, redis_url: str, tmp_path: Path,
                                                      mailbox: Any) -> None:
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    env = {"REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}", "SMTP_URL": mailbox.url,
           "MAIL_POLL_INTERVAL": "0.05", "SCHEDULER_INTERVAL": "0.3", "PUBLIC_URL": "http://example.test"}
    workers = [LiveServer(postgres_url, tmp_path, redis_url=redis_url, env=env).start() for _ in range(2)]
    try:
        people = []
        lock = threading.Lock()

        def sign_up(worker: LiveServer, n: int) -> None:
            person = worker.signup(f"p{n}")
            with lock:
                people.append(person)

        threads = [threading.Thread(target=sign_up, args=(workers[n % 2], n)) for n in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        mailbox.wait_for(lambda ms: len(ms) >= 24, timeout=30)
        time.sleep(1.5)  # room for any duplicate to arrive
        ids = [m["Message-ID"] for m in mailbox.messages]
        assert len(ids) == 24 and len(set(ids)) == 24
        assert sorted(str(m["To"]) for m in mailbox.messages) == sorted(p["email"] for p in people)
        assert {r[1] for r in outbox(postgres_url)} == {"sent"}
    finally:
        for w in workers:
            w.stop()


def test_reminders_once_per_occasion_across_restarts(tmp_path: Path, sqlite_template: Path) -> None:
    """`flask tasks run-once --now` in fresh processes: the second run at the same moment reminds nobody."""
    import shutil

    from tests.sockets import job_with_people

    shutil.copy(sqlite_template, tmp_path / "remind.db")
    url = f"sqlite:///{tmp_path / 'remind.db'}"
    server = LiveServer(url, tmp_path).start()
    try:
        job, people = job_with_people(server)
        proposed = server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
                              json=_terms(), status=201).json()["agreement"]
        server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
                   json={"terms_hash": proposed["terms_hash"]}, status=200)
    finally:
        server.stop()
    moment = (datetime.now(timezone.utc) + timedelta(days=28, hours=2)).isoformat()

    def run_once() -> str:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "tasks", "run-once", "--now", moment],
                                cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    first, second = run_once(), run_once()
    assert "reminders=0" not in first and "reminders=0" in second
    server = LiveServer(url, tmp_path).start()
    try:
        titles = [n["title"] for n in server.api("GET", "/notifications?limit=100", people["client"], status=200)
                  .json()["notifications"]]
    finally:
        server.stop()
    assert titles.count(f"{job['title']} is due in 3 days") == 1


def _terms() -> dict[str, Any]:
    from tests.support import terms

    return terms()
