"""Backups of the database: `flask backup FILE` and `flask restore FILE`.

SQLite uses its online backup API (a consistent copy while the app keeps serving); PostgreSQL uses
`pg_dump` in its custom format and `pg_restore`. Uploaded files live in the instance folder's
uploads directory and are copied with the folder, not here. After a restore every job's hash chain
is verified, so a damaged or altered copy is reported, not served."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any


class BackupError(Exception):
    """Why a backup or restore could not be made, in words for the operator."""


def _kind(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql", "postgres://")):
        return "postgresql"
    raise BackupError(f"Backups cover SQLite and PostgreSQL; DATABASE_URL is {url.split(':', 1)[0]}.")


def _sqlite_path(url: str) -> str:
    return url[len("sqlite:///"):]


def _libpq(url: str) -> str:
    """The URL pg_dump understands: no SQLAlchemy driver suffix."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is missing: install the Debian package postgresql-client.")
    return found


def backup(database_url: str, target: Path) -> None:
    if not target.parent.is_dir():
        raise BackupError(f"There is no folder {target.parent} to write the backup into.")
    if _kind(database_url) == "sqlite":
        source = sqlite3.connect(_sqlite_path(database_url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    run = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
                          _libpq(database_url)], capture_output=True, text=True)
    if run.returncode:
        raise BackupError(f"pg_dump failed: {run.stderr.strip()[-500:]}")


def restore(database_url: str, source: Path) -> None:
    if not source.exists():
        raise BackupError(f"No backup at {source}.")
    if _kind(database_url) == "sqlite":
        origin = sqlite3.connect(source)
        target = sqlite3.connect(_sqlite_path(database_url))
        try:
            with target:
                origin.backup(target)
        finally:
            target.close()
            origin.close()
        return
    run = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                          f"--dbname={_libpq(database_url)}", str(source)], capture_output=True, text=True)
    if run.returncode:
        raise BackupError(f"pg_restore failed: {run.stderr.strip()[-500:]}")


def verify_all(app: Any) -> dict[str, int | None]:
    """Each job's first broken link (None when its chain verifies), by public id."""
    from sqlalchemy import select

    from workspace.extensions import db
    from workspace.models import Job
    from workspace.services.events import verify_chain

    with app.app_context():
        db.engine.dispose()  # the restored file or database, not a connection opened before it
        jobs = db.session.execute(select(Job.id, Job.public_id).order_by(Job.id)).all()
        result = {public: verify_chain(job_id) for job_id, public in jobs}
        db.session.remove()
    return result
