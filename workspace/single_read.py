"""One read statement on a pooled DBAPI connection, without a Session or a Core Connection around it.

A socket's connect and join each read one row (the token's owner, the membership, the room's last seq)
and a reconnect wave makes thousands of them at once. Through the ORM session each paid for a session,
a BEGIN, a ROLLBACK and SQLAlchemy's statement machinery (~30 us for `SELECT 1` against ~5 us on the
DBAPI connection). Here the statement is compiled once per dialect, its bind and result processors
(e.g. our UTC datetimes) are applied as SQLAlchemy would, and DBAPI errors are raised as SQLAlchemy's
(so `database_unavailable` and the 503 path see them), invalidating a connection the server dropped.

One statement is its own snapshot; when the session already has a transaction open, the read joins
it instead (its snapshot, its write's own rows, no second connection).
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

Processor = Callable[[Any], Any] | None


class PreparedRead:
    """A statement compiled for one dialect, with the processors SQLAlchemy would apply."""

    def __init__(self, statement: Any, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("read_first runs plain bound statements: no expanding IN or literal parameters")
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        self.names: list[str] = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        self.binds: dict[str, Processor] = {
            name: compiled.binds[name].type._cached_bind_processor(dialect) for name in compiled.binds}
        self.results: list[Processor] = [
            entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns]

    def parameters(self, params: dict[str, Any]) -> Any:
        values = {}
        for name in self.names:
            value = params[name]
            processor = self.binds.get(name)
            values[name] = processor(value) if processor is not None else value
        return tuple(values[name] for name in self.names) if self.positional else values

    def row(self, raw: Any) -> tuple[Any, ...]:
        return tuple(p(v) if p is not None else v for p, v in zip(self.results, raw))


_PREPARED: "weakref.WeakKeyDictionary[Engine, dict[int, tuple[Any, PreparedRead]]]" = weakref.WeakKeyDictionary()


def _prepared(engine: Engine, statement: Any) -> PreparedRead:
    by_statement = _PREPARED.setdefault(engine, {})
    found = by_statement.get(id(statement))
    if found is None or found[0] is not statement:  # the statement is kept, so its id is not reused
        found = (statement, PreparedRead(statement, engine))
        by_statement[id(statement)] = found
    return found[1]


def read_first(statement: Any, params: dict[str, Any], engine: Engine | None = None) -> tuple[Any, ...] | None:
    """The first row of `statement` (built once, e.g. module level or lru_cached) as a tuple, or None.

    When the app's session already has a transaction open, the read joins it instead: the same
    snapshot as what the caller read before (and will read after), and no second pooled connection."""
    if engine is None:
        from workspace.extensions import db

        assert db.engine is not None
        engine = db.engine
        if db.in_transaction():
            row = db.session.connection().execute(statement, params).first()
            return None if row is None else tuple(row)
    prepared = _prepared(engine, statement)
    bound = prepared.parameters(params)
    dbapi = engine.dialect.loaded_dbapi
    connection: Any = None
    driver: Any = None
    try:
        connection = engine.raw_connection()
        # PostgreSQL: the read in autocommit, as SQLAlchemy's own pool ping does: no BEGIN before it
        # and no ROLLBACK when the connection goes back (the pool's pre-ping is the other round trip).
        # SQLite's connections are in autocommit already (db.make_engine issues BEGIN itself).
        driver = connection.dbapi_connection
        autocommit = engine.dialect.name == "postgresql"
        if autocommit:
            driver.autocommit = True
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(prepared.sql, bound)
                raw = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            if autocommit:
                _restore(connection, driver)
    except dbapi.Error as exc:  # taking the connection too: the pool's reconnect raises the driver's error
        dropped = connection is None or engine.dialect.is_disconnect(exc, driver, None)
        if dropped and connection is not None:
            connection.invalidate(exc)
        raise DBAPIError.instance(prepared.sql, bound, exc, dbapi.Error,
                                  connection_invalidated=dropped, dialect=engine.dialect) from exc
    finally:
        if connection is not None:
            connection.close()
    return None if raw is None else prepared.row(raw)


def _restore(connection: Any, driver: Any) -> None:
    """Give the connection back to the pool as it came (not in autocommit); one that cannot be (a read
    cut short mid-statement, a closed connection) is dropped from the pool instead."""
    if driver.closed:
        return
    try:
        driver.autocommit = False
    except Exception as exc:  # noqa: BLE001 - an interrupted read: the connection's state is unknown
        connection.invalidate(exc)
