"""A socket keeps its user and memberships in memory; changes to them are pushed to it, and writes are
authorized by the statement that writes.

- The very next action after a removal, a promotion or a rename acts on the change (pushed through the
  control channel, on every worker), with no reconnect.
- Actions do not read the membership or login again: a row changed behind the server's back (directly
  in the database, so nothing is pushed) is not seen by an ephemeral action (`typing`)...
- ...but a write is still refused, because the statement that takes the event's seq checks the login
  and the membership itself; the refusal also makes the socket forget what it kept.
"""
from __future__ import annotations

import sqlite3
import uuid

import pytest

from tests.servers import LiveServer
from tests.sockets import Watcher, job_in_force, job_with_people
from tests.support import terms

pytestmark = pytest.mark.realtime


@pytest.fixture
def opened():
    sockets: list[Watcher] = []

    def open_(server, who) -> Watcher:
        w = Watcher(server, who).connect()
        sockets.append(w)
        return w

    yield open_
    for w in sockets:
        w.close()


def error_code(ack) -> str | None:
    return None if ack.get("ok") else ack["error"]["code"]


def sqlite_path(server) -> str:
    return server.database_url.removeprefix("sqlite:///")


def test_a_removed_member_loses_the_right_on_the_very_next_action(shared_server, opened):
    job, people = job_with_people(shared_server)
    client = opened(shared_server, people["client"])
    assert client.join(job["id"])["ok"]
    assert client.call("typing", {"job": job["id"]})["ok"]  # the seat is kept from here on
    shared_server.api("DELETE", f"/jobs/{job['id']}/members/{people['client']['id']}", people["freelancer"],
                      status=200)
    # No waiting: the removal's commit pushed the change before the request answered.
    assert error_code(client.call("typing", {"job": job["id"]})) == "not_found"
    assert error_code(client.call("message", {"job": job["id"], "body": "still here?"})) == "not_found"
    assert error_code(client.call("join", {"job": job["id"]})) == "not_found"


def test_a_promotion_takes_effect_on_the_next_action_without_reconnecting(shared_server, opened):
    job, people = job_in_force(shared_server, terms())
    late = shared_server.signup("late")
    invite = shared_server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "client"},
                               status=201).json()["invite"]
    shared_server.api("POST", f"/invites/{invite['token']}/accept", late, status=200)
    sock = opened(shared_server, late)
    assert sock.join(job["id"])["ok"]
    # A joining client reads like a viewer: the kept seat says so.
    assert error_code(sock.call("message", {"job": job["id"], "body": "too early"})) == "forbidden"
    shared_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", late, {}, status=200)
    shared_server.api("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", people["client"], status=200)
    ack = sock.call("message", {"job": job["id"], "body": "now a client"})
    assert ack["ok"], ack
    assert ack["event"]["actor"]["id"] == late["id"]


def test_a_rename_reaches_the_next_message(shared_server, opened):
    job, people = job_with_people(shared_server)
    sock = opened(shared_server, people["client"])
    assert sock.join(job["id"])["ok"]
    assert sock.call("message", {"job": job["id"], "body": "before"})["event"]["actor"]["name"] == "Client"
    shared_server.api("PATCH", "/me", people["client"], {"name": "Renamed Client"}, status=200)
    ack = sock.call("message", {"job": job["id"], "body": "after"})
    assert ack["event"]["actor"]["name"] == "Renamed Client"
    assert ack["event"]["data"]["message"]["author"]["name"] == "Renamed Client"


def test_actions_do_not_reread_the_membership_but_writes_check_it(shared_server, opened):
    job, people = job_with_people(shared_server)
    client = opened(shared_server, people["client"])
    assert client.join(job["id"])["ok"]
    assert client.call("message", {"job": job["id"], "body": "one"})["ok"]
    with sqlite3.connect(sqlite_path(shared_server)) as conn:  # behind the server's back: nothing pushed
        conn.execute("DELETE FROM memberships WHERE user_id = ? AND job_id = "
                     "(SELECT id FROM jobs WHERE public_id = ?)", (people["client"]["id"], job["id"]))
    # Proof that actions act from memory: the ephemeral action still passes...
    assert client.call("typing", {"job": job["id"]})["ok"]
    # ...but the write's own statement refuses it, and says why, with nothing written.
    before = shared_server.api("GET", f"/jobs/{job['id']}/events", people["freelancer"], status=200).json()
    assert error_code(client.call("message", {"job": job["id"], "body": "two"})) == "not_found"
    after = shared_server.api("GET", f"/jobs/{job['id']}/events", people["freelancer"], status=200).json()
    assert after["last_seq"] == before["last_seq"]
    # The refusal made the socket forget its seat: the next action asks the database.
    assert error_code(client.call("typing", {"job": job["id"]})) == "not_found"


def test_actions_do_not_reread_the_login_but_writes_check_it(shared_server, opened):
    job, people = job_with_people(shared_server)
    client = opened(shared_server, people["client"])
    assert client.join(job["id"])["ok"]
    with sqlite3.connect(sqlite_path(shared_server)) as conn:  # revoked without the push (no disconnect)
        conn.execute("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = ?",
                     (people["client"]["id"],))
    assert client.call("typing", {"job": job["id"]})["ok"]
    assert error_code(client.call("message", {"job": job["id"], "body": "after revocation"})) == "unauthorized"
    assert error_code(client.call("typing", {"job": job["id"]})) == "unauthorized"


def test_a_revoked_token_loses_the_socket_at_once(shared_server, opened):
    job, people = job_with_people(shared_server)
    client = opened(shared_server, people["client"])
    assert client.join(job["id"])["ok"]
    token_id = shared_server.api("GET", "/tokens", people["client"], status=200).json()["tokens"][0]["id"]
    shared_server.api("DELETE", f"/tokens/{token_id}", people["client"], status=204)
    assert client.wait_for(lambda: not client.client.connected, timeout=5)


# ---------------------------------------------------------------- two workers: PostgreSQL and Redis

@pytest.fixture(scope="module")
def workers(postgres_url, redis_url, tmp_path_factory):
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    directory = tmp_path_factory.mktemp("invalidation")
    env = {"REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [LiveServer(postgres_url, directory, redis_url=redis_url, env=env).start() for _ in range(2)]
    yield servers
    for s in servers:
        s.stop()


def test_a_removal_on_one_worker_reaches_the_next_action_on_the_other(workers, opened):
    a, b = workers
    job, people = job_with_people(a)
    client = opened(b, people["client"])
    assert client.join(job["id"])["ok"]
    assert client.call("typing", {"job": job["id"]})["ok"]
    a.api("DELETE", f"/jobs/{job['id']}/members/{people['client']['id']}", people["freelancer"], status=200)
    # Through Redis: the change arrives with (before) the member.removed event.
    assert client.wait_for(lambda: client.events and client.events[-1]["type"] == "member.removed")
    assert error_code(client.call("typing", {"job": job["id"]})) == "not_found"
    assert error_code(client.call("message", {"job": job["id"], "body": "still here?"})) == "not_found"


def test_a_promotion_on_one_worker_reaches_the_next_action_on_the_other(workers, opened):
    a, b = workers
    job, people = job_in_force(a, terms())
    late = a.signup("late")
    invite = a.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "client"},
                   status=201).json()["invite"]
    a.api("POST", f"/invites/{invite['token']}/accept", late, status=200)
    sock = opened(b, late)
    assert sock.join(job["id"])["ok"]
    assert error_code(sock.call("message", {"job": job["id"], "body": "too early"})) == "forbidden"
    a.api("POST", f"/jobs/{job['id']}/agreements/1/accept", late, {}, status=200)
    a.api("POST", f"/jobs/{job['id']}/members/{late['id']}/admit", people["client"], status=200)
    assert sock.wait_for(lambda: any(e["type"] == "member.admitted" for e in sock.events))
    ack = sock.call("message", {"job": job["id"], "body": "now a client"})
    assert ack["ok"], ack


def test_a_write_on_a_worker_that_has_not_heard_yet_is_still_refused(workers, opened):
    """PostgreSQL: the membership deleted behind the server's back; the guarded write refuses it."""
    from sqlalchemy import create_engine, text

    a, b = workers
    job, people = job_with_people(a)
    client = opened(b, people["client"])
    assert client.join(job["id"])["ok"]
    engine = create_engine(a.database_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM memberships WHERE user_id = :u AND job_id = "
                          "(SELECT id FROM jobs WHERE public_id = :j)"), {"u": people["client"]["id"], "j": job["id"]})
    engine.dispose()
    assert client.call("typing", {"job": job["id"]})["ok"]
    assert error_code(client.call("message", {"job": job["id"], "body": "refused"})) == "not_found"
    for worker in (a, b):
        assert "Traceback" not in worker.log()
