"""Racing approvals and confirmations over real HTTP, against two server processes sharing one database."""
from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import requests

from tests.servers import LiveServer
from tests.sockets import job_with_people
from tests.support import terms

pytestmark = pytest.mark.realtime


@pytest.fixture(params=["sqlite", "postgres"])
def two_workers(request, tmp_path, sqlite_template):
    """Two `wsgi.py` processes on the same database (SQLite file, or PostgreSQL)."""
    import shutil

    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "race.db")
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        from tests.conftest import _truncate_postgres

        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
    servers = [LiveServer(url, tmp_path).start() for _ in range(2)]
    yield servers
    for s in servers:
        s.stop()


def _race(calls: list[tuple[str, str, dict[str, str]]]) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def go(i: int, url: str, token: str, headers: dict[str, str]) -> None:
        barrier.wait()
        results[i] = requests.post(url, json={}, headers={"Authorization": f"Bearer {token}", **headers}, timeout=30)

    threads = [threading.Thread(target=go, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _active_submitted(server: LiveServer) -> tuple[dict[str, Any], dict[str, Any], int]:
    job, people = job_with_people(server)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"],
                          terms(upfront={"kind": "none"}), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
               {"terms_hash": proposed["terms_hash"]}, status=200)
    milestone = server.api("GET", f"/jobs/{job['id']}", people["client"], status=200).json()["job"]["milestones"][0]["id"]
    server.api("POST", f"/milestones/{milestone}/submit", people["freelancer"], {"note": "done"}, status=200)
    return job, people, milestone


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_approvals_approve_and_post_exactly_once(two_workers, round_):
    a, b = two_workers
    job, people, milestone = _active_submitted(a)
    token = people["client"]["token"]
    shared = {"Idempotency-Key": f"same-{uuid.uuid4()}"}
    calls = [(f"{(a, b)[i % 2].url}/api/v1/milestones/{milestone}/approve", token,
              shared if i < 12 else {"Idempotency-Key": uuid.uuid4().hex}) for i in range(24)]
    results = _race(calls)
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {200, 409}, statuses
    same_key = [r for r, c in zip(results, calls) if c[2] is shared]
    ok = [r for r in results if r.status_code == 200]
    # Every 200 is the one approval (same body); the shared key always gets it or its first answer.
    assert len({r.text for r in ok}) == 1
    assert all(r.status_code == 200 for r in same_key) or all(r.status_code == 409 for r in same_key)
    events = a.api("GET", f"/jobs/{job['id']}/events", people["freelancer"], status=200).json()["events"]
    assert [e["type"] for e in events].count("milestone.approved") == 1
    ledger = a.api("GET", f"/jobs/{job['id']}/ledger", people["freelancer"], status=200).json()
    assert [t["kind"] for t in ledger["transactions"]].count("milestone.approved") == 1
    assert ledger["balances"]["owed"] == 30000
    assert a.alive() and b.alive()


def test_concurrent_confirmations_post_once(two_workers):
    a, b = two_workers
    job, people, milestone = _active_submitted(a)
    a.api("POST", f"/milestones/{milestone}/approve", people["client"], {}, status=200,
          headers={"Idempotency-Key": uuid.uuid4().hex})
    payment = a.api("POST", f"/jobs/{job['id']}/payments", people["client"],
                    {"amount": 30000, "method": "bank_transfer"}, status=201,
                    headers={"Idempotency-Key": uuid.uuid4().hex}).json()["payment"]
    calls = [(f"{(a, b)[i % 2].url}/api/v1/payments/{payment['id']}/confirm", people["freelancer"]["token"],
              {"Idempotency-Key": uuid.uuid4().hex}) for i in range(20)]
    statuses = [r.status_code for r in _race(calls)]
    assert statuses.count(200) == 1 and statuses.count(409) == 19
    ledger = a.api("GET", f"/jobs/{job['id']}/ledger", people["freelancer"], status=200).json()
    assert [t["kind"] for t in ledger["transactions"]].count("payment.confirmed") == 1
    assert ledger["balances"]["paid"] == 30000


def test_the_server_approves_overdue_reviews_with_nobody_reading(tmp_path, sqlite_template):
    """The background task alone approves a submission whose window ran out (no job read needed)."""
    import shutil
    import time

    from sqlalchemy import create_engine, text

    shutil.copy(sqlite_template, tmp_path / "auto.db")
    url = f"sqlite:///{tmp_path / 'auto.db'}"
    server = LiveServer(url, tmp_path, env={"AUTO_APPROVE_INTERVAL": "0.5", "REVIEW_WARNING_HOURS": "0.0005"}).start()
    try:
        job, people, milestone = _active_submitted(server)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE milestones SET review_due_at = '2000-01-01 00:00:00' WHERE id = :id"),
                         {"id": milestone})
        # The scheduler first warns the client; approval waits until they were told (here: read in the app).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            listed = server.api("GET", "/notifications?unread=1", people["client"], status=200).json()
            if any("approved automatically" in n["title"] for n in listed["notifications"]):
                break
            time.sleep(0.2)
        server.api("POST", "/notifications/read", people["client"], {"all": True}, status=200)
        deadline = time.monotonic() + 10
        state = None
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                state = conn.execute(text("SELECT state FROM milestones WHERE id = :id"), {"id": milestone}).scalar()
            if state == "approved":
                break
            time.sleep(0.2)
        engine.dispose()
        assert state == "approved"
    finally:
        server.stop()
