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
