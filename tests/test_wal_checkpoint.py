"""The served process checkpoints SQLite's write-ahead log in a background thread, not in commits."""
from __future__ import annotations

import os
import time

from sqlalchemy import text

from workspace import wal_checkpoint
from workspace.db import make_engine

FILLER = "x" * 4000  # about a page per row


def _write(engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
    for start in range(0, rows, 100):  # many commits, as a server makes them
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), [{"b": FILLER}] * min(100, rows - start))


def _autocheckpoint(engine) -> int:
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()


def test_commits_leave_the_checkpoints_to_the_background_thread(tmp_path):
    path = tmp_path / "served.db"
    engine = make_engine(f"sqlite:///{path}")
    _write(engine, 1)  # a connection made before the start is replaced
    checkpointer = wal_checkpoint.start(engine, interval=3600)  # no pass yet
    try:
        assert _autocheckpoint(engine) == 0
        size = path.stat().st_size
        _write(engine, 1500)  # past SQLite's 1,000-page trigger: no commit copied the log in
        assert path.stat().st_size == size and os.path.getsize(f"{path}-wal") > 1500 * 4000
    finally:
        checkpointer.stop()

    checkpointer = wal_checkpoint.Checkpointer(str(path), interval=0.05).start()
    try:
        deadline = time.monotonic() + 10
        # The pass copies the log in, then records what it did: wait for both (the file grows first).
        while (path.stat().st_size < 1500 * 4000 or checkpointer.last is None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= 1500 * 4000, "the background pass copied the log into the database"
        busy, pages, done = checkpointer.last
        assert busy == 0 and pages == done > 1500
        with engine.connect() as conn:  # and what was written reads back
            assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == 1501
    finally:
        checkpointer.stop()
        engine.dispose()


def test_without_it_commits_checkpoint_as_sqlite_does(tmp_path):
    """The control: an engine of a command or a test keeps SQLite's own checkpoints."""
    path = tmp_path / "plain.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert _autocheckpoint(engine) == 1000
        _write(engine, 1500)
        assert path.stat().st_size > 1000 * 4000  # a commit past the trigger copied the log in
    finally:
        engine.dispose()


def test_only_sqlite_files_are_checkpointed(tmp_path):
    from sqlalchemy import create_engine

    assert wal_checkpoint.database_path(create_engine("sqlite://")) is None
    assert wal_checkpoint.start(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")) is None
    assert wal_checkpoint.database_path(make_engine(f"sqlite:///{tmp_path}/a.db")) == f"{tmp_path}/a.db"
