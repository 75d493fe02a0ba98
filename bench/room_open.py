"""How fast a room opens with 50,000 events in it, side by side with an empty room (same server, same run).

Prints p50/p95 of: the room page, the join ack the page's script asks for (after = last_seq - 50),
and one page of older history (events?before=), for both rooms, and the ratio big/empty.
Usage: .venv/bin/python bench/room_open.py [--events 50000] [--rounds 30]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(url: str, instance: Path, events: int) -> dict:
    """Two jobs (empty and big) written through the real services and unit of work."""
    from tests.conftest import make_test_app
    from workspace.db import transaction
    from workspace.domain import event_types as ev
    from workspace.extensions import db
    from workspace.models import Job, User
    from workspace.services import accounts, invites, jobs
    from datetime import timedelta
    from sqlalchemy import select

    app = make_test_app(url, instance)
    with app.app_context():
        owner = accounts.sign_up("owner@bench.test", "correct horse battery", "Owner", address="b", limit=(10**6, 1))
        client = accounts.sign_up("client@bench.test", "correct horse battery", "Client", address="b", limit=(10**6, 1))
        made = {}
        for name in ("empty", "big"):
            job = jobs.create_job(owner, f"{name} room")
            invites.accept_invite(client, invites.create_invite(owner, job["id"], "client", ttl=timedelta(days=1))["token"])
            made[name] = job["id"]
        started = time.perf_counter()
        job = db.session.scalar(select(Job).where(Job.public_id == made["big"]))
        actor = db.session.get(User, owner.id)
        for start in range(0, events, 5000):
            with transaction() as tx:
                for n in range(start, min(events, start + 5000)):
                    tx.record(job, ev.PROGRESS_POSTED, {"progress": {"id": n, "percent": n % 101, "note": f"step {n}",
                                                                     "html": f"<p>step {n}</p>", "milestone": None,
                                                                     "created_at": "2026-01-01T00:00:00Z"}}, actor)
        print(f"wrote {events:,} events in {time.perf_counter() - started:.1f} s", flush=True)
        db.session.remove()
    return {**made, "token": accounts_token(app, owner)}


def accounts_token(app, owner) -> str:
    from workspace.services import accounts

    with app.app_context():
        return accounts.create_api_token(owner, "bench")[1]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    import requests
    import socketio

    from tests.servers import LiveServer
    from workspace.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="room-open-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    ids = build(url, tmp, args.events)
    server = LiveServer(url, tmp).start()
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {ids['token']}"
        client = socketio.Client(reconnection=False)
        client.connect(server.url, auth={"token": ids["token"]}, transports=["websocket"])
        results = {}
        for name in ("empty", "big"):
            job = ids[name]
            last = session.get(f"{server.url}/api/v1/jobs/{job}").json()["job"]["last_seq"]
            page, join, older = [], [], []
            for _ in range(args.rounds):
                t = time.perf_counter()
                assert session.get(f"{server.url}/jobs/{job}/").status_code == 200
                page.append(time.perf_counter() - t)
                t = time.perf_counter()
                ack = client.call("join", {"job": job, "after": max(0, last - 50)}, timeout=30)
                join.append(time.perf_counter() - t)
                assert ack["ok"], ack
                t = time.perf_counter()
                assert session.get(f"{server.url}/api/v1/jobs/{job}/events?before={max(1, last - 50)}&limit=50").ok
                older.append(time.perf_counter() - t)
                client.call("leave", {"job": job})
            results[name] = {"last_seq": last, "page": page, "join": join, "older": older}
        client.disconnect()
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nroom open, {args.rounds} rounds each (ms)")
    print(f"{'':14}{'empty p50':>10}{'p95':>8}{'big p50':>10}{'p95':>8}{'ratio p50':>11}")
    for what in ("page", "join", "older"):
        e, b = results["empty"][what], results["big"][what]
        print(f"{what:14}{pct(e, .5):10.1f}{pct(e, .95):8.1f}{pct(b, .5):10.1f}{pct(b, .95):8.1f}"
              f"{statistics.median(b) / statistics.median(e):11.2f}")
    print(f"(empty room last_seq={results['empty']['last_seq']}, big room last_seq={results['big']['last_seq']:,})")


if __name__ == "__main__":
    main()
