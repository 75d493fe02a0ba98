"""Engine, sessions and the unit of work: commit, then publish the room events it recorded."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Protocol

from sqlalchemy import DateTime, Engine, create_engine, event, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from workspace.domain.chain import GENESIS_HASH, canonical_event, data_digest, link
from workspace.domain.errors import Busy

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Where committed changes go out: the realtime layer implements it (Flask-SocketIO)."""

    def publish(self, room: str, wire: dict[str, Any]) -> None: ...

    def disconnect(self, room: str) -> None: ...

    def leave(self, sockets_room: str, room: str) -> None: ...

    def signal(self, room: str, event: str, data: dict[str, Any]) -> None: ...


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the only clock the models use)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use workspace.db.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


def rowcount(result: Any) -> int:
    """Rows an UPDATE changed (typed loosely in SQLAlchemy's stubs)."""
    return int(result.rowcount)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a Z, the wire format of every timestamp."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def normalize_url(url: str) -> str:
    """Accept plain postgres URLs and use psycopg 3, which cooperates with eventlet."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Database:
    """Holds the engine and the greenlet/thread-scoped session of the running app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(expire_on_commit=False, autoflush=True)
        )
        self.publisher: Publisher | None = None

    def init_app(self, app: Any) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(lambda exc: self.session.remove())

    def fresh_snapshot(self) -> None:
        """End the current read transaction so the next query sees everything committed by now."""
        session = self.session()
        if session.in_transaction():
            session.commit()

    @property
    def is_sqlite(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """Create an engine; on SQLite: WAL, short busy waits, and BEGIN IMMEDIATE for writes."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, pool_size=20, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so two writers never deadlock on lock upgrade.
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Serializer(Protocol):
    """What `Transaction.record` stores of an event (its facts) and what it sends (the wire form)."""

    def facts(self, type_: str, data: dict[str, Any]) -> dict[str, Any]: ...

    def wire(self, job_public_id: str, seq: int, type_: str, at: str, actor: dict[str, Any] | None,
             data: dict[str, Any]) -> dict[str, Any]: ...


class EventForm:
    """The installed serializer. It lives with the services (`services/wire.py`, which knows how HTML and
    URLs are derived) and installs itself on import; recording before that is a programming error."""

    def __init__(self) -> None:
        self._serializer: Serializer | None = None

    def install(self, serializer: Serializer) -> None:
        self._serializer = serializer

    @property
    def serializer(self) -> Serializer:
        if self._serializer is None:
            raise RuntimeError("no event serializer installed: import workspace.services.wire")
        return self._serializer


EVENT_FORM = EventForm()

# Called with (transaction, job, wire) for every recorded event, inside its transaction: derived rows
# (notifications, their emails) are written atomically with the event. Services register here.
RECORD_HOOKS: list[Callable[["Transaction", Any, dict[str, Any]], None]] = []


class Transaction:
    """One write transaction; `record` appends room events that are published after commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._outbox: list[Callable[[Publisher], None]] = []
        self._last_hash: dict[int, str] = {}
        self._after: list[Callable[[], None]] = []

    def record(self, job: Any, type_: str, data: dict[str, Any], actor: Any = None) -> dict[str, Any]:
        """Append an event with the next gap-free seq for the job; return its wire form.

        The facts of `data` are stored and chained (by their digest); the wire form, published after
        commit, is built from them by the one serializer (`EVENT_FORM`), as it is when events are read.
        """
        from workspace.models import Event, Job  # models import db; avoid the cycle at import

        seq = self.session.execute(
            update(Job).where(Job.id == job.id).values(last_seq=Job.last_seq + 1).returning(Job.last_seq)
        ).scalar_one()
        prev = self._last_hash.get(job.id)
        if prev is None:
            prev = self.session.scalar(
                select(Event.hash).where(Event.job_id == job.id, Event.seq == seq - 1)
            ) or GENESIS_HASH
        at = utcnow()
        actor_id = actor.id if actor is not None else None
        data = EVENT_FORM.serializer.facts(type_, data)
        content = data_digest(data)
        canonical = canonical_event(job.public_id, seq, type_, iso(at), actor_id, content)
        digest = link(prev, canonical)
        self.session.add(Event(
            job_id=job.id, seq=seq, type=type_, at=at, actor_id=actor_id, data=data, data_digest=content,
            prev_hash=prev, hash=digest,
        ))
        self._last_hash[job.id] = digest
        wire = EVENT_FORM.serializer.wire(job.public_id, seq, type_, canonical["at"],
                                          {"id": actor.id, "name": actor.name} if actor is not None else None, data)
        room = f"job:{job.public_id}"
        self._outbox.append(lambda p: p.publish(room, wire))
        for hook in RECORD_HOOKS:
            hook(self, job, wire)
        return wire

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (e.g. wake the mail sender)."""
        self._after.append(action)

    def disconnect(self, sockets_room: str) -> None:
        """After commit, disconnect every socket in `sockets_room` (e.g. a revoked login)."""
        self._outbox.append(lambda p: p.disconnect(sockets_room))

    def leave(self, sockets_room: str, room: str) -> None:
        """After commit, take every socket in `sockets_room` out of `room` (e.g. a removed member)."""
        self._outbox.append(lambda p: p.leave(sockets_room, room))

    def signal(self, room: str, event: str, data: dict[str, Any]) -> None:
        """After commit, send an ephemeral (never stored) signal such as a read receipt."""
        self._outbox.append(lambda p: p.signal(room, event, data))

    def flush_outbox(self, publisher: Publisher | None) -> None:
        """After commit: what was written stays written whatever happens here. A publish that fails
        (the message queue restarting) is logged and skipped; clients recover the events through the
        resume path (heads and joins read the database), so the request still succeeds."""
        if publisher is not None:
            for send in self._outbox:
                try:
                    send(publisher)
                except Exception as exc:  # noqa: BLE001 - the commit stands; live delivery is best effort
                    log.warning("publish after commit failed (%s); clients will resume from the log",
                                exc.__class__.__name__)
        for action in self._after:
            action()


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (a failover, a restart, a killed
    backend, a locked SQLite file): the caller may retry; nothing was committed."""
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


@contextmanager
def transaction(database: Database | None = None) -> Iterator[Transaction]:
    """The unit of work: a write transaction that commits, then publishes its events."""
    if database is None:
        from workspace.extensions import db as default

        database = default
    session = database.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unflushed changes outside a transaction")
    if session.in_transaction():
        session.commit()  # end the read snapshot so the write sees everything committed so far
    session.begin()
    try:
        session.connection(execution_options={"sqlite_immediate": True})
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc):
            raise Busy("The server is busy; nothing was changed. Try again in a moment.") from exc
        raise
    tx = Transaction(session)
    try:
        yield tx
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc):
            raise Busy("The server is busy; nothing was changed. Try again in a moment.") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    tx.flush_outbox(database.publisher)
