"""A PostgreSQL backend killed in the middle of a request (pg_terminate_backend, as a failover or an
operator would): the request answers 503 with Retry-After, never 500; nothing is half-written; the
next request succeeds on a fresh connection. Over HTTP and over a socket action alike."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

from tests.conftest import PG_ADMIN_URL

# A PostgreSQL fault (SQLite's counterpart, a locked database file, has its own tests).
pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


@pytest.fixture
def kill_on(app):
    """kill_on("INSERT INTO messages"): the next statement starting so has its backend terminated first."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    armed: dict[str, str | None] = {"prefix": None}
    from workspace.extensions import db

    engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def terminate(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        prefix = armed["prefix"]
        if prefix and statement.lstrip().upper().startswith(prefix):
            armed["prefix"] = None
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    yield lambda prefix: armed.update(prefix=prefix)
    event.remove(engine, "before_cursor_execute", terminate)
    admin.dispose()


def test_a_killed_backend_mid_request_is_a_503_and_writes_nothing(api, people, job, kill_on):
    f = people["freelancer"]
    before = api.events(f, job["id"])["last_seq"]
    kill_on("INSERT INTO MESSAGES")
    response = api.call("POST", f"/jobs/{job['id']}/messages", f, {"body": "Lost in failover"})
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] and response.get_json()["error"]["code"] == "busy"
    assert api.events(f, job["id"])["last_seq"] == before  # nothing half-written
    assert api.call("POST", f"/jobs/{job['id']}/messages", f, {"body": "After"}).status_code == 201


def test_a_killed_backend_mid_socket_action_is_a_busy_ack(app, api, people, job, kill_on):
    from workspace.extensions import socketio

    f = people["freelancer"]
    socket = socketio.test_client(app, auth={"token": f["token"]})
    try:
        assert socket.emit("join", {"job": job["id"], "after": 0}, callback=True)["ok"]
        before = api.events(f, job["id"])["last_seq"]
        kill_on("INSERT INTO MESSAGES")
        ack = socket.emit("message", {"job": job["id"], "body": "Lost in failover", "client_ref": "x1"}, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "busy", ack
        assert api.events(f, job["id"])["last_seq"] == before
        again = socket.emit("message", {"job": job["id"], "body": "After", "client_ref": "x2"}, callback=True)
        assert again["ok"] is True, again
    finally:
        socket.disconnect()
