"""Engine, sessions and the unit of work: commit, then publish the room events it recorded."""
from __future__ import annotations

import logging
import weakref
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, partial
from datetime import datetime, timezone
from typing import Any, Callable, ContextManager, Iterator, Protocol, cast

from sqlalchemy import DateTime, Engine, Table, create_engine, event, insert, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.types import TypeDecorator

from workspace.domain.chain import GENESIS_HASH, canonical_event, data_digest, link
from workspace.domain.errors import Busy

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Where committed changes go out: the realtime layer implements it (Flask-SocketIO)."""

    def publish(self, room: str, wire: dict[str, Any]) -> None: ...

    def disconnect(self, room: str) -> None: ...

    def leave(self, sockets_room: str, room: str) -> None: ...

    def signal(self, room: str, event: str, data: dict[str, Any], skip_room: str | None = None) -> None: ...

    def together(self) -> ContextManager["Publisher"]:
        """A publisher whose sends go out together (one message between workers) when the block ends."""
        ...


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


def table_of(model: Any) -> Table:
    """A mapped class's Table, typed as one (for prebuilt Core statements on the hot paths)."""
    return cast(Table, model.__table__)


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

    def in_transaction(self) -> bool:
        """The current context's session has a transaction open (without making a session to ask)."""
        return self.session.registry.has() and self.session().in_transaction()

    def fresh_snapshot(self) -> None:
        """End the current read transaction so the next query sees everything committed by now."""
        if not self.session.registry.has():
            return  # no session yet in this context: nothing to end (and none made just to ask)
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

    def do_begin(dbapi_conn: Any) -> None:
        # Writers take the write lock up front, so two writers never deadlock on lock upgrade. The
        # dialect's own hook rather than a "begin" event listener: any engine event listener makes
        # every statement dispatch the (empty) statement events, ~10 % of a small transaction's CPU.
        dbapi_conn.execute(_BEGIN.get())

    engine.dialect.do_begin = do_begin  # type: ignore[method-assign, assignment]
    return engine


# How this green thread's next SQLite transaction begins: `transaction()` takes the write lock up front.
_BEGIN: ContextVar[str] = ContextVar("sqlite_begin", default="BEGIN")


class Serializer(Protocol):
    """What `Transaction.record` stores of an event (its facts) and what it sends (the wire form)."""

    def facts(self, type_: str, data: dict[str, Any]) -> dict[str, Any]: ...

    def wire(self, job_public_id: str, seq: int, type_: str, at: str, actor: dict[str, Any] | None,
             data: dict[str, Any], chain: dict[str, str] | None = None) -> dict[str, Any]: ...


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

# Called with (transaction, job, wires) for the events recorded together (one or a run of one actor's),
# inside their transaction: derived rows (notifications, their emails) are written atomically with the
# events. Services register here.
RECORD_HOOKS: list[Callable[["Transaction", Any, list[dict[str, Any]]], None]] = []

# Called with the job of every recorded event: a Guard the job's seq allocation must also meet (e.g.
# "the acting socket's login is still live"), or None. The realtime gate registers one, so what a
# socket writes is authorized by the statement that writes it.
RECORD_GUARDS: list[Callable[[Any], "Guard | None"]] = []


@dataclass(frozen=True)
class Guard:
    """A condition for `Transaction.record`'s seq allocation: `clause` is built once (module level, with
    bind parameters, so the statement is built and compiled once) and `params` fill it per call."""

    clause: Any
    params: dict[str, Any]


def standing_guards(job: Any) -> tuple[Guard, ...]:
    """What `RECORD_GUARDS` ask of an event recorded now, in this context (e.g. the acting socket's
    login): taken where the person acts, so a write made for them elsewhere still checks them."""
    return tuple(g for g in (hook(job) for hook in RECORD_GUARDS) if g is not None)


class GuardRefused(Exception):
    """A guard of `Transaction.record` no longer held when the event was written (a login revoked,
    a member removed or their role changed since the caller last looked); nothing is written."""


# The last committed event each job had, per engine, as this process wrote it: (seq, hash). An event's
# hash never changes once committed, so when the next seq is this seq + 1, the previous hash needs no
# query. Written only after commit (a rolled-back seq is allocated again).
_CHAIN_HEADS: "weakref.WeakKeyDictionary[Engine, dict[int, tuple[int, str]]]" = weakref.WeakKeyDictionary()


@lru_cache(maxsize=None)
def _statements() -> dict[str, Any]:
    """The event log's statements, built once (bind parameters filled per call)."""
    from sqlalchemy import bindparam

    from workspace.models import Event

    events = table_of(Event)
    return {
        "prev": select(events.c.hash).where(events.c.job_id == bindparam("job"), events.c.seq == bindparam("seq")),
        "event": insert(events),
    }


_ALLOCATE: dict[tuple[int, ...], Any] = {}


def _allocate(clauses: tuple[Any, ...]) -> Any:
    """UPDATE jobs SET last_seq = last_seq + :alloc_n WHERE id = :alloc_job [AND each guard] RETURNING last_seq:
    the seq, the job row's write lock until commit, and the guards, in one statement (built once per
    set of guard clauses, which are themselves built once: keyed by their identity)."""
    key = tuple(id(c) for c in clauses)
    statement = _ALLOCATE.get(key)
    if statement is None:
        from sqlalchemy import bindparam

        from workspace.models import Job

        jobs = table_of(Job)
        statement = update(jobs).where(jobs.c.id == bindparam("alloc_job"))
        for clause in clauses:
            statement = statement.where(clause)
        statement = statement.values(last_seq=jobs.c.last_seq + bindparam("alloc_n")).returning(jobs.c.last_seq)
        _ALLOCATE[key] = statement
    return statement


class Transaction:
    """One write transaction; `record` appends room events that are published after commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._outbox: list[Callable[[Publisher], None]] = []
        self._last_hash: dict[int, str] = {}
        self._heads: dict[int, tuple[int, str]] = {}
        self._engine: Engine | None = None
        self._after: list[Callable[[], None]] = []

    def committed(self) -> None:
        """Called once the transaction committed: remember the chain heads it wrote."""
        if self._engine is not None and self._heads:
            _CHAIN_HEADS.setdefault(self._engine, {}).update(self._heads)

    def record(self, job: Any, type_: str, data: dict[str, Any] | Callable[[int], dict[str, Any]],
               actor: Any = None, *, guard: "Guard | None" = None) -> dict[str, Any]:
        """Append an event with the next gap-free seq for the job; return its wire form.

        The facts of `data` are stored and chained (by their digest); the wire form, published after
        commit, is built from them by the one serializer (`EVENT_FORM`), as it is when events are read.
        `data` may be a function of the allocated seq (e.g. it inserts the row that carries the seq).
        `guard` (and each of `RECORD_GUARDS`) is a `Guard`, a SQL condition checked by the statement
        that takes the seq; when one fails, `GuardRefused` is raised and the caller's transaction rolls
        back. The chain fields go to the serializer as computed (no query for them).
        `job` is a `Job` or anything with its `id`, `public_id` (and `title`, for notifications).
        """
        def build(seqs: list[int]) -> list[dict[str, Any]]:
            return [data(seqs[0]) if callable(data) else data]

        guards = (guard, *standing_guards(job))
        return self.record_many(job, type_, 1, build, actor, guards=tuple(g for g in guards if g is not None))[0]

    def record_many(self, job: Any, type_: str, count: int, build: Callable[[list[int]], list[dict[str, Any]]],
                    actor: Any = None, *, guards: tuple["Guard", ...] = ()) -> list[dict[str, Any]]:
        """Append `count` events of one type by one actor with one seq allocation (the group commit of
        posted messages); their wire forms, in seq order. `build(seqs)` gives their data, one per seq.

        Exactly `guards` are checked (a caller acting for someone else passes their `standing_guards`,
        taken where they acted); `record` adds this context's own."""
        from workspace.models import Job  # models import db; avoid the cycle at import

        self.session.flush()  # rows the ORM holds go first, as an ORM statement's autoflush would
        conn = self.session.connection()
        params: dict[str, Any] = {"alloc_job": job.id, "alloc_n": count}
        for g in guards:
            params.update(g.params)
        last = conn.execute(_allocate(tuple(g.clause for g in guards)), params).scalar()
        if last is None:
            raise GuardRefused(f"{type_} in job {job.id}")
        if isinstance(job, Job):
            set_committed_value(job, "last_seq", last)  # as the ORM UPDATE's session sync did
        seqs = list(range(last - count + 1, last + 1))
        prev = self._previous_hash(conn, job.id, seqs[0])
        at = utcnow()
        actor_id = actor.id if actor is not None else None
        who = {"id": actor.id, "name": actor.name} if actor is not None else None
        rows, wires = [], []
        for seq, data in zip(seqs, build(seqs), strict=True):
            data = EVENT_FORM.serializer.facts(type_, data)
            content = data_digest(data)
            canonical = canonical_event(job.public_id, seq, type_, iso(at), actor_id, content)
            digest = link(prev, canonical)
            rows.append({"job_id": job.id, "seq": seq, "type": type_, "at": at, "actor_id": actor_id, "data": data,
                         "data_digest": content, "prev_hash": prev, "hash": digest})
            wires.append(EVENT_FORM.serializer.wire(job.public_id, seq, type_, canonical["at"], who, data,
                                                    {"data_digest": content, "prev_hash": prev, "hash": digest}))
            prev = digest
        conn.execute(_statements()["event"], rows if len(rows) > 1 else rows[0])
        self._last_hash[job.id] = prev
        self._heads[job.id] = (seqs[-1], prev)
        self._engine = conn.engine
        room = f"job:{job.public_id}"
        for wire in wires:
            self._outbox.append(partial(_publish, room, wire))
        for hook in RECORD_HOOKS:
            hook(self, job, wires)
        return wires

    def _previous_hash(self, conn: Any, job_id: int, seq: int) -> str:
        """The hash of the job's event before `seq`: known to this transaction or process, else read."""
        prev = self._last_hash.get(job_id)
        if prev is None:
            known = _CHAIN_HEADS.get(conn.engine, {}).get(job_id)
            if known is not None and known[0] == seq - 1:
                prev = known[1]
        if prev is None:
            prev = conn.execute(_statements()["prev"], {"job": job_id, "seq": seq - 1}).scalar() or GENESIS_HASH
        return prev

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (e.g. wake the mail sender)."""
        self._after.append(action)

    def disconnect(self, sockets_room: str) -> None:
        """After commit, disconnect every socket in `sockets_room` (e.g. a revoked login)."""
        self._outbox.append(lambda p: p.disconnect(sockets_room))

    def leave(self, sockets_room: str, room: str) -> None:
        """After commit, take every socket in `sockets_room` out of `room` (e.g. a removed member)."""
        self._outbox.append(lambda p: p.leave(sockets_room, room))

    def signal(self, room: str, event: str, data: dict[str, Any], skip_room: str | None = None) -> None:
        """After commit, send an ephemeral (never stored) signal such as a read receipt; not to the
        sockets that are also in `skip_room`."""
        self._outbox.append(lambda p: p.signal(room, event, data, skip_room))

    def flush_outbox(self, publisher: Publisher | None) -> None:
        """After commit: what was written stays written whatever happens here. A publish that fails
        (the message queue restarting) is logged and skipped; clients recover the events through the
        resume path (heads and joins read the database), so the request still succeeds."""
        if publisher is not None and self._outbox:
            try:
                with publisher.together() as together:
                    for send in self._outbox:
                        try:  # one send failing does not hold back the others
                            send(together)
                        except Exception as exc:  # noqa: BLE001 - the commit stands; delivery is best effort
                            _publish_failed(exc)
            except Exception as exc:  # noqa: BLE001 - (the sends going out together at the end)
                _publish_failed(exc)
        for action in self._after:
            action()


def _publish(room: str, wire: dict[str, Any], publisher: Publisher) -> None:
    publisher.publish(room, wire)


def _publish_failed(exc: BaseException) -> None:
    log.warning("publish after commit failed (%s); clients will resume from the log", exc.__class__.__name__)


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
    writing = _BEGIN.set("BEGIN IMMEDIATE")
    try:
        session.connection()
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc):
            raise Busy("The server is busy; nothing was changed. Try again in a moment.") from exc
        raise
    finally:
        _BEGIN.reset(writing)
    tx = Transaction(session)
    try:
        yield tx
        session.commit()
        tx.committed()
    except OperationalError as exc:
        session.rollback()
        if "database is locked" in str(exc):
            raise Busy("The server is busy; nothing was changed. Try again in a moment.") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    tx.flush_outbox(database.publisher)
