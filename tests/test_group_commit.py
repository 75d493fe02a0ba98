"""Group commit of posted messages (workspace/group_commit.py, services/posting.py): posts that arrive
together share one transaction, each is still committed before it is answered or sent, a person's
posts keep their order, the chain stays whole, and a post that fails fails alone."""
from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
import requests

from tests.sockets import Watcher, job_with_people
from workspace.domain.chain import canonical_event, link
from workspace.group_commit import GroupCommit, Item


def _burst(watcher: Watcher, job: str, payloads: list[dict[str, Any]], timeout: float = 30) -> list[Any]:
    """Emit every payload at once (no waiting for answers); the acks in the order sent."""
    acks: list[Any] = [None] * len(payloads)
    done = threading.Event()
    left = [len(payloads)]
    lock = threading.Lock()

    def answer(i: int) -> Any:
        def record(ack: Any) -> None:
            acks[i] = ack
            with lock:
                left[0] -= 1
                if left[0] == 0:
                    done.set()
        return record

    for i, payload in enumerate(payloads):
        watcher.client.emit("message", {"job": job, **payload}, callback=answer(i))
    assert done.wait(timeout), f"{left[0]} posts unanswered"
    return acks


def _commits(server: Any) -> tuple[float, float]:
    """(transactions that wrote posts, posts they wrote), from the worker's /metrics."""
    text = requests.get(server.url + "/metrics", timeout=5).text
    figures = dict(re.findall(r"^workspace_posts_per_commit_(count|sum) (\S+)$", text, re.M))
    return float(figures.get("count", 0)), float(figures.get("sum", 0))


def _check_chain(events: list[dict[str, Any]], job: str) -> None:
    for before, event in zip(events, events[1:]):
        assert event["seq"] == before["seq"] + 1
        assert event["prev_hash"] == before["hash"]
    for event in events:
        actor = event["actor"]["id"] if event["actor"] else None
        canonical = canonical_event(job, event["seq"], event["type"], event["at"], actor, event["data_digest"])
        assert link(event["prev_hash"], canonical) == event["hash"], event["seq"]


def test_a_burst_of_posts_is_written_in_shared_transactions_in_order_and_chained(shared_server):
    job, people = job_with_people(shared_server)
    posters = {role: Watcher(shared_server, people[role]).connect() for role in ("freelancer", "client")}
    viewer = Watcher(shared_server, people["viewer"]).connect()
    try:
        for w in (*posters.values(), viewer):
            assert w.join(job["id"])["ok"]
        start = viewer.join(job["id"])["last_seq"]
        commits_before, posts_before = _commits(shared_server)
        results: dict[str, list[Any]] = {}
        threads = [threading.Thread(target=lambda r=role, w=w: results.__setitem__(r, _burst(
            w, job["id"], [{"body": f"{r} {i}", "client_ref": f"{r}-{i}"} for i in range(40)])))
            for role, w in posters.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for role, acks in results.items():
            assert all(a and a["ok"] for a in acks), [a for a in acks if not (a and a["ok"])][:3]
            seqs = [a["event"]["seq"] for a in acks]
            assert seqs == sorted(seqs), f"{role}'s posts kept their order"
            assert [a["event"]["data"]["message"]["body"] for a in acks] == [f"{role} {i}" for i in range(40)]
        every = sorted(a["event"]["seq"] for acks in results.values() for a in acks)
        assert every == list(range(start + 1, start + 81))  # gap-free, each once
        assert viewer.wait_for(lambda: len([s for s in viewer.seqs(job["id"]) if s > start]) == 80)
        with viewer.lock:
            live = [e for e in viewer.events if e["job"] == job["id"]]
        _check_chain(live, job["id"])
        commits, posts = _commits(shared_server)
        assert posts - posts_before == 80
        assert commits - commits_before < 80, "some transaction wrote more than one post"
        # Each post is in the log and told once to the viewer (notifications written with their batch).
        page = shared_server.api("GET", f"/jobs/{job['id']}/events?after={start}", people["viewer"],
                                 status=200).json()
        assert [e["seq"] for e in page["events"]] == every
        told = shared_server.api("GET", "/notifications?limit=100", people["viewer"], status=200).json()
        assert sorted(n["seq"] for n in told["notifications"] if n["kind"] == "messages") == every
    finally:
        for w in (*posters.values(), viewer):
            w.close()


def test_a_post_that_fails_fails_alone_and_a_retry_in_a_burst_answers_with_the_first(shared_server):
    job, people = job_with_people(shared_server)
    poster = Watcher(shared_server, people["freelancer"]).connect()
    try:
        assert poster.join(job["id"])["ok"]
        first = poster.call("message", {"job": job["id"], "body": "first", "client_ref": "keep-1"})
        assert first["ok"]
        payloads = [{"body": f"good {i}", "client_ref": f"good-{i}"} for i in range(12)]
        payloads.insert(3, {"body": "a reply to nothing", "reply_to": 987654321})
        payloads.insert(7, {"body": "first", "client_ref": "keep-1"})  # the same post again (a retry)
        acks = _burst(poster, job["id"], payloads)
        assert acks[3]["ok"] is False and acks[3]["error"]["code"] == "not_found"
        assert acks[7]["ok"] and acks[7]["event"]["seq"] == first["event"]["seq"]
        good = [a for i, a in enumerate(acks) if i not in (3, 7)]
        assert all(a["ok"] for a in good)
        assert [a["event"]["data"]["message"]["body"] for a in good] == [f"good {i}" for i in range(12)]
        page = shared_server.api("GET", f"/jobs/{job['id']}/events?after={first['event']['seq']}",
                                 people["freelancer"], status=200).json()
        bodies = [e["data"]["message"]["body"] for e in page["events"] if e["type"] == "message.posted"]
        assert bodies == [f"good {i}" for i in range(12)]  # each once; nothing of the failed ones
        _check_chain(page["events"], job["id"])
    finally:
        poster.close()


# ---------------------------------------------------------------- the mechanism, with real threads

class _Write:
    """A write function that records its batches; the first one waits until `release` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[Item]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail = fail

    def __call__(self, batch: list[Item]) -> None:
        self.batches.append(list(batch))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(10)
        if self.fail and len(batch) > 1:
            raise RuntimeError("the shared transaction failed")
        for item in batch:
            item.result = f"written in batch {len(self.batches)}"


def _submit_all(group: GroupCommit, items: list[Item]) -> list[threading.Thread]:
    threads = [threading.Thread(target=group.submit, args=(item,)) for item in items]
    for t in threads:
        t.start()
    return threads


@pytest.mark.parametrize("fail", [False, True])
def test_writes_arriving_during_a_write_go_together_in_the_next(fail):
    write = _Write(fail=fail)
    group = GroupCommit(write)
    first = Item()
    leader = _submit_all(group, [first])
    assert write.entered.wait(5)
    waiting = [Item() for _ in range(5)]
    threads = _submit_all(group, waiting)
    deadline = time.monotonic() + 5
    while len(group._queue) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    write.release.set()
    for t in leader + threads:
        t.join(5)
        assert not t.is_alive()
    assert [len(b) for b in write.batches] == [1, 5]
    assert first.result == "written in batch 1"
    if fail:  # nothing of the shared one stands: each is handed back to be written alone
        assert all(item.alone and item.result is None for item in waiting)
    else:
        assert all(item.result == "written in batch 2" and not item.alone for item in waiting)


def test_a_write_alone_that_fails_carries_its_error_and_the_next_leader_is_not_stuck():
    def write(batch: list[Item]) -> None:
        raise ValueError("refused")

    group = GroupCommit(write)
    item = Item()
    group.submit(item)
    assert isinstance(item.error, ValueError) and not item.alone
    again = Item()
    group.submit(again)  # a later write leads at once (the failed leader let go)
    assert isinstance(again.error, ValueError)


# ---------------------------------------------------------------- two batches, the same jobs (PostgreSQL)

def test_two_batches_of_the_same_jobs_in_opposite_orders_do_not_deadlock(app, api, people):
    """Each run of a batch locks its job's row until commit. Two workers' batches holding posts of the
    same two jobs, arrived in opposite orders, once locked them in opposite orders: on PostgreSQL one
    of them failed as a deadlock (after a second's wait) and was written again post by post. Both
    now lock in ascending job order: the second waits for the first, then both commit whole."""
    # (On SQLite the second batch's BEGIN IMMEDIATE waits for the first: one writer at a time.)
    from sqlalchemy import event

    from workspace.db import standing_guards
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import posting
    from workspace.services.access import load_seat

    first, second = api.job_with_members(people), api.job_with_members(people)
    both_hold_one = threading.Barrier(2)

    def pause_after_first_lock(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        """Hold each batch after its first job lock until the other batch holds one too (so opposite
        orders would meet head on); a batch that cannot get a first lock never arrives: go on."""
        if statement.lstrip().upper().startswith("UPDATE JOBS") and not getattr(local, "locked", False):
            local.locked = True
            try:
                both_hold_one.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass

    local = threading.local()
    errors: list[BaseException] = []
    written: list[list[Any]] = []

    def batch(order: list[dict[str, Any]]) -> None:
        try:
            with app.app_context():
                user = db.session.get(User, people["freelancer"]["id"])
                seats = [load_seat(user, job["id"]) for job in order]
                posts = [posting.Post(user, seat, f"to {seat.public_id}", None, None, [], standing_guards(seat))
                         for seat in seats]
                posting._write_batch(posts)
                written.append([p.result for p in posts])
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with app.app_context():
        event.listen(db.engine, "after_cursor_execute", pause_after_first_lock)
    try:
        threads = [threading.Thread(target=batch, args=(order,)) for order in ([first, second], [second, first])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        with app.app_context():
            event.remove(db.engine, "after_cursor_execute", pause_after_first_lock)
    assert errors == []
    assert len(written) == 2 and all(r is not None for results in written for r in results)


STRESS = r'''
import eventlet
eventlet.monkey_patch()
import random, sys
from workspace.green import others_due
from workspace.group_commit import GroupCommit, Item

random.seed(int(sys.argv[1]))
sizes, written = [], {}

def write(batch):
    sizes.append(len(batch))
    if random.random() < 0.7:
        eventlet.sleep(random.choice([0, 0.001, 0.002]))  # a database round trip: others arrive meanwhile
    if len(batch) > 1 and random.random() < 0.1:
        raise RuntimeError("the shared transaction failed")
    for item in batch:
        item.result = item.n

group = GroupCommit(write)

def poster(n):
    eventlet.sleep(random.random() * 0.02 if n % 3 else 0.02 + random.random() * 0.001)  # and a last wave
    item = Item()
    item.n = n
    group.submit(item)
    if item.alone:  # as posting.write does: again, by itself
        item.alone = False
        item.result = n
    written[n] = item.result

assert others_due() is False  # nothing else scheduled on a fresh hub
pool = eventlet.GreenPool(1000)
for n in range(600):
    pool.spawn(poster, n)
with eventlet.Timeout(20):
    pool.waitall()
assert written == {n: n for n in range(600)}, "every write answered, once, with its own result"
assert max(sizes) > 1 and not group._leading and not group._queue
print("ok", len(sizes), max(sizes))
'''


@pytest.mark.parametrize("seed", [1, 2])
def test_on_eventlets_hub_every_write_is_answered_however_batches_form_and_fail(seed, tmp_path):
    """The production runtime: green locks and events, `others_due` reading the real hub, writes that
    yield mid-transaction (PostgreSQL) and shared transactions that fail. No write waits for ever."""
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "stress.py"
    script.write_text(STRESS)
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(script), str(seed)], cwd=root, capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok")
