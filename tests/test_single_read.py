"""`single_read.read_first`: a socket's connect and join read their row on a pooled DBAPI connection,
with SQLAlchemy's processing (UTC datetimes) and its errors (the 503 path), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timezone

import pytest
from sqlalchemy import bindparam, create_engine, event, select, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import PG_ADMIN_URL
from workspace.db import database_unavailable


def test_a_token_reads_as_the_orm_loads_its_owner(app, api, people):
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services.access import socket_token

    with app.app_context():
        user, token_id = socket_token(people["client"]["token"])
        loaded = db.session.get(User, people["client"]["id"])
        for attr in User.__mapper__.column_attrs:
            assert getattr(user, attr.key) == getattr(loaded, attr.key), attr.key
        assert user.created_at.tzinfo == timezone.utc and token_id > 0
        assert socket_token(people["client"]["token"][:-2] + "xx") is None


def test_a_seat_and_a_rooms_last_seq(app, api, people, job):
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services.access import load_seat
    from workspace.services.events import join_page
    from workspace.domain.errors import NotFound

    last = api.events(people["viewer"], job["id"])["last_seq"]
    with app.app_context():
        viewer = db.session.get(User, people["viewer"]["id"])
        seat = load_seat(viewer, job["id"])
        assert (seat.public_id, seat.role, seat.user_id) == (job["id"], "viewer", viewer.id)
        assert join_page(viewer, job["id"], last, page_max=50, seat=seat) == {"events": [], "last_seq": last,
                                                                              "more": False}
        outsider = db.session.get(User, people["outsider"]["id"])
        with pytest.raises(NotFound):
            load_seat(outsider, job["id"])


def test_an_error_is_sqlalchemys_and_the_connection_goes_back_usable(app):
    from workspace.extensions import db
    from workspace.single_read import read_first

    with app.app_context():
        broken = select(text("no_such_column")).select_from(text("no_such_table"))
        with pytest.raises(DBAPIError):
            read_first(broken, {})
        assert read_first(select(bindparam("x")), {"x": 7}) == (7,)
        db.session.remove()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_backend_killed_under_a_read_is_unavailable_then_the_next_read_works(app):
    """The connection's backend dies after it was checked out (and pinged): the read raises what the
    503 / busy-ack path knows (database_unavailable), the dead connection is dropped from the pool, and
    the next read gets a fresh one."""
    from workspace.extensions import db
    from workspace.single_read import read_first

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    armed = {"kill": True}

    def kill(dbapi_conn, _record, _proxy):
        if armed.pop("kill", False):
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
            dbapi_conn.rollback()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    event.listen(db.engine, "checkout", kill)
    try:
        with app.app_context():
            query = select(bindparam("x"))
            with pytest.raises(DBAPIError) as raised:
                read_first(query, {"x": 1})
            assert database_unavailable(raised.value) and raised.value.connection_invalidated
            assert read_first(query, {"x": 2}) == (2,)
            pooled = db.engine.raw_connection()  # the read ran in autocommit; the pool gets it back as it was
            try:
                assert pooled.dbapi_connection.autocommit is False
            finally:
                pooled.close()
    finally:
        event.remove(db.engine, "checkout", kill)
        admin.dispose()


def test_inside_an_open_transaction_the_read_joins_it(app, api, people, job):
    """Same snapshot as the caller's reads before and after (and its own uncommitted rows); no second
    pooled connection. HTTP's events page reads last_seq so, in the snapshot its page is read in."""
    from sqlalchemy import update

    from workspace.db import transaction
    from workspace.extensions import db
    from workspace.models import Job
    from workspace.services.events import _LAST_SEQ
    from workspace.single_read import read_first

    with app.app_context():
        pk = db.session.scalar(select(Job.id).where(Job.public_id == job["id"]))
        before = read_first(_LAST_SEQ, {"job": pk})[0]
        class Undo(Exception):
            pass

        with pytest.raises(Undo), transaction() as tx:
            tx.session.execute(update(Job).where(Job.id == pk).values(last_seq=Job.last_seq + 1000))
            assert read_first(_LAST_SEQ, {"job": pk}) == (before + 1000,)  # its own uncommitted write
            raise Undo  # rolled back
        assert read_first(_LAST_SEQ, {"job": pk}) == (before,)


def test_a_database_that_cannot_be_reached_is_unavailable_not_a_crash(app):
    """Taking the connection fails (the pool reconnecting to a database that is down): the driver's
    error comes out as SQLAlchemy's, which the 503 / busy path knows."""
    from sqlalchemy import create_engine

    from workspace.db import normalize_url
    from workspace.single_read import read_first

    down = create_engine(normalize_url("postgresql://nobody@127.0.0.1:1/none"), pool_pre_ping=True)
    try:
        with pytest.raises(DBAPIError) as raised:
            read_first(select(bindparam("x")), {"x": 1}, engine=down)
        assert database_unavailable(raised.value)
    finally:
        down.dispose()


def test_statements_it_cannot_run_are_refused_when_first_prepared(app):
    from workspace.single_read import read_first

    with app.app_context(), pytest.raises(ValueError, match="plain bound statements"):
        read_first(select(bindparam("x")).where(bindparam("y", expanding=True).in_([1, 2])), {"x": 1, "y": [1]})
