"""The room's event log: gap-free seq per job, hash chain, cursor paging, concurrent writers."""
from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import select, update

from tests.support import terms


def test_events_page_by_cursor(api, people, job):
    f = people["freelancer"]
    for n in range(5):
        api.propose(f, job["id"], terms(update_every_hours=n + 1))
    everything = api.events(f, job["id"])
    seqs = [e["seq"] for e in everything["events"]]
    assert seqs == list(range(1, everything["last_seq"] + 1)) and everything["more"] is False
    page = api.events(f, job["id"], after=2, limit=3)
    assert [e["seq"] for e in page["events"]] == [3, 4, 5] and page["more"] is True
    assert page["last_seq"] == everything["last_seq"]
    tail = api.events(f, job["id"], after=everything["last_seq"])
    assert tail["events"] == [] and tail["more"] is False


def test_event_shape(api, people, job):
    first = api.events(people["viewer"], job["id"])["events"][0]
    assert set(first) == {"job", "seq", "type", "at", "actor", "data", "data_digest", "prev_hash", "hash"}
    assert first["job"] == job["id"] and first["type"] == "job.created" and first["at"].endswith("Z")
    assert first["actor"] == {"id": people["freelancer"]["id"], "name": "Freelancer"}


def test_bad_cursors_are_422(api, people, job):
    for query in ("after=-1", "after=abc", "limit=0", "limit=501", "limit=x"):
        response = api.call("GET", f"/jobs/{job['id']}/events?{query}", people["freelancer"])
        assert response.status_code == 422, query


def test_hash_chain_verifies_and_detects_tampering(app, api, people, job):
    api.propose(people["freelancer"], job["id"])
    api.accept(people["client"], job["id"], 1)
    from workspace.db import transaction
    from workspace.extensions import db
    from workspace.models import Event, Job
    from workspace.services.events import verify_chain

    with app.app_context():
        job_pk = db.session.scalar(select(Job.id).where(Job.public_id == job["id"]))
        assert verify_chain(job_pk) is None
        with transaction() as tx:
            tx.session.execute(update(Event).where(Event.job_id == job_pk, Event.seq == 4)
                               .values(data={"agreement": {"version": 99}}))
        db.session.remove()
        assert verify_chain(job_pk) == 4


def test_the_chain_links_over_a_digest_of_the_content():
    """canonical = {job, seq, type, at, actor_id, data_digest}: erased content keeps its digest and links."""
    from workspace.domain.chain import GENESIS_HASH, canonical_event, data_digest, first_broken_link, link

    data = {"message": {"id": 1, "body": "IBAN DE89..."}}
    canonical = canonical_event("J1", 1, "message.posted", "2026-01-01T00:00:00.000000Z", 7, data_digest(data))
    assert set(canonical) == {"job", "seq", "type", "at", "actor_id", "data_digest"}
    event = {**canonical, "data": data, "erased": False, "prev_hash": GENESIS_HASH,
             "hash": link(GENESIS_HASH, canonical)}
    assert first_broken_link([event]) is None
    remains = {"message": {"id": 1, "body": "", "deleted": True}}
    assert first_broken_link([{**event, "data": remains}]) == 1  # changed content, not marked erased
    assert first_broken_link([{**event, "data": remains, "erased": True}]) is None
    assert first_broken_link([{**event, "data": remains, "erased": True, "data_digest": "0" * 64}]) == 1


def test_failed_action_records_nothing(api, people, job):
    before = api.events(people["freelancer"], job["id"])["last_seq"]
    assert api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], terms(scope="")).status_code == 422
    assert api.call("POST", f"/jobs/{job['id']}/agreements", people["viewer"], terms()).status_code == 403
    assert api.events(people["freelancer"], job["id"])["last_seq"] == before


def _propose_many(database_url: str, instance: str, job_id: str, token_user_id: int, start: int, count: int,
                  errors: "multiprocessing.Queue[str]") -> None:
    """Run in a separate process: real concurrent writers on the same job."""
    from tests.conftest import make_test_app
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services.agreements import propose_agreement

    app = make_test_app(database_url, instance)
    with app.app_context():
        user = db.session.get(User, token_user_id)
        for n in range(start, start + count):
            try:
                propose_agreement(user, job_id, terms(update_every_hours=n))
            except Exception as exc:  # noqa: BLE001 - report to the parent
                errors.put(repr(exc))


def test_concurrent_writers_in_several_processes_get_gap_free_seqs(app, api, people, job, database_url, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    procs = [ctx.Process(target=_propose_many, args=(database_url, str(tmp_path), job["id"],
                                                     people[who]["id"], 1 + 10 * i, 10, errors))
             for i, who in enumerate(["freelancer", "client", "freelancer", "client"])]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    page = api.events(people["freelancer"], job["id"])
    seqs = [e["seq"] for e in page["events"]]
    assert seqs == list(range(1, len(seqs) + 1)) and page["last_seq"] == len(seqs) == 3 + 40
    versions = sorted(e["data"]["agreement"]["version"] for e in page["events"] if e["type"] == "agreement.proposed")
    assert versions == list(range(1, 41))
    from workspace.extensions import db
    from workspace.models import Job
    from workspace.services.events import verify_chain

    with app.app_context():
        assert verify_chain(db.session.scalar(select(Job.id).where(Job.public_id == job["id"]))) is None


def test_concurrent_writers_in_threads(app, people, job):
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services.agreements import propose_agreement

    failures = []

    def worker(offset: int) -> None:
        with app.app_context():
            user = db.session.get(User, people["client"]["id"])
            for n in range(5):
                try:
                    propose_agreement(user, job["id"], terms(update_every_hours=offset + n))
                except Exception as exc:  # noqa: BLE001
                    failures.append(exc)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i * 10 + 1,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with app.app_context():
        from workspace.models import Event, Job

        job_pk = db.session.scalar(select(Job.id).where(Job.public_id == job["id"]))
        seqs = db.session.scalars(select(Event.seq).where(Event.job_id == job_pk).order_by(Event.seq)).all()
        assert seqs == list(range(1, 24))


@pytest.mark.parametrize("limit", [1, 2, 7])
def test_paging_through_everything_yields_each_event_once(api, people, job, limit):
    f = people["freelancer"]
    for n in range(6):
        api.propose(f, job["id"], terms(update_every_hours=n + 1))
    seen, after = [], 0
    while True:
        page = api.events(f, job["id"], after=after, limit=limit)
        seen += [e["seq"] for e in page["events"]]
        if not page["more"]:
            break
        after = page["events"][-1]["seq"]
    assert seen == list(range(1, 10))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_sqlite_database_is_a_clear_503_not_a_500(app, api, people, job, database_url):
    """Another process holds the write lock longer than the busy timeout: the caller is told to retry."""
    import sqlite3

    path = database_url.replace("sqlite:///", "")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        from workspace.db import make_engine
        from workspace.extensions import db

        db.engine.dispose()
        engine = make_engine(database_url)

        @__import__("sqlalchemy").event.listens_for(engine, "connect")
        def short_wait(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA busy_timeout=100")

        db.session.configure(bind=engine)
        response = api.call("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "hi"})
        assert response.status_code == 503 and response.get_json()["error"]["code"] == "busy"
        assert response.headers["Retry-After"] == "1"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert api.call("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "hi"}).status_code == 201


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_writes_take_the_write_lock_at_begin_and_reads_do_not(app, database_url):
    """A write transaction starts with BEGIN IMMEDIATE (two writers never deadlock upgrading a read lock);
    a read with a plain BEGIN. Done in the dialect's begin, so the engine has no statement event listeners
    (any would make every statement dispatch them)."""
    from sqlalchemy import event, text

    from workspace.db import transaction
    from workspace.extensions import db

    seen: list[str] = []

    @event.listens_for(db.engine, "connect")
    def trace(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(seen.append)

    db.engine.dispose()
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        with transaction() as tx:
            tx.session.execute(text("SELECT 2"))
        db.session.execute(text("SELECT 3"))
        db.session.commit()
    assert [s for s in seen if s.split()[0] in ("BEGIN", "SELECT", "COMMIT")] == [
        "BEGIN", "SELECT 1", "COMMIT", "BEGIN IMMEDIATE", "SELECT 2", "COMMIT", "BEGIN", "SELECT 3", "COMMIT"]
    assert not db.engine._has_events
