"""SQLite's WAL checkpoints in a thread of their own, off the hub that serves every socket.

By default SQLite checkpoints inside the commit that takes the write-ahead log past 1,000 pages: that
commit copies the log's pages into the database file and syncs both (with `synchronous=NORMAL`, the
only syncs there are). In the served process that commit runs on the one eventlet hub, so every
socket waits: ~5 ms every ~60 posted messages on this project's machines, 0.2-0.36 ms per message of
the room fan-out benchmark (bench/README.md).

`start(engine)` turns the commits' checkpoints off (`wal_autocheckpoint=0` on every pooled
connection) and runs `PRAGMA wal_checkpoint(PASSIVE)` every `interval` seconds on its own connection
in a real OS thread. sqlite3 releases the GIL while it works, so the copying and the syncs overlap
the hub instead of stopping it. PASSIVE never waits for a lock and never blocks a writer or a reader;
a checkpoint cut short by a reader is finished by the next pass. What a commit guarantees does not
change: it is in the log, synced as before; the checkpoint only moves it into the database file.

Only the serving process does this (`green.serve`, SQLite file databases); commands and tests keep
SQLite's own checkpoints. `journal_size_limit` keeps the log file from staying at the size of the
biggest burst.
"""
from __future__ import annotations

import logging
import sqlite3
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 0.25  # seconds between passes: at 1,000 posts/s the log holds ~2,500 pages (~10 MB)
LOG_SIZE_LIMIT = 64 << 20  # bytes the log file is truncated back to after it is reset


class Checkpointer:
    """The background pass; `stop()` ends it (tests), `passes` counts the ones that ran."""

    def __init__(self, path: str, interval: float) -> None:
        self.path = path
        self.interval = interval
        self.passes = 0
        self.last: tuple[int, int, int] | None = None  # (busy, log pages, pages checkpointed)
        from eventlet import patcher

        threading = patcher.original("threading")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)

    def start(self) -> "Checkpointer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval):
                try:
                    row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except Exception as exc:  # noqa: BLE001 - a locked or vanished file: the next pass tries again
                    log.warning("WAL checkpoint failed: %s", exc)
                    continue
                self.last = tuple(row) if row else None  # type: ignore[assignment]
                self.passes += 1
        finally:
            connection.close()


def database_path(engine: Engine) -> str | None:
    """The file of a SQLite engine; None for other databases and in-memory SQLite."""
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def start(engine: Engine, interval: float = DEFAULT_INTERVAL) -> Checkpointer | None:
    """Move `engine`'s checkpoints to a background thread (SQLite files only; None otherwise)."""
    path = database_path(engine)
    if path is None:
        return None

    @event.listens_for(engine, "connect")
    def _no_commit_checkpoints(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.execute(f"PRAGMA journal_size_limit={LOG_SIZE_LIMIT}")
        cur.close()

    engine.dispose()  # connections made before this (start-up reads) would still checkpoint in commits
    return Checkpointer(path, interval).start()
