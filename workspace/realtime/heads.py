"""Each worker, every few seconds: `head {job, last_seq}` and the presence list to its own sockets.

A client whose last live event was dropped (emits are at-most-once) sees a head beyond its seq and
catches up; presence entries of sockets on a dead worker go stale and drop out.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from workspace.extensions import db, socketio
from workspace.models import Job
from workspace.realtime.presence import presence
from workspace.realtime.rooms import local_rooms

log = logging.getLogger(__name__)
_started: set[int] = set()


def ensure_ticker(app: Any) -> None:
    """Start this process's ticker once (lazily: CLI commands and tests without sockets start none)."""
    if id(app) in _started:
        return
    _started.add(id(app))
    socketio.start_background_task(_run, app)


def _run(app: Any) -> None:
    interval = app.config.get("HEAD_INTERVAL", 5)
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                tick()
        except Exception:  # noqa: BLE001 - the ticker must outlive a bad moment (DB restart, ...)
            log.exception("head ticker failed")


def tick() -> None:
    rooms = local_rooms.jobs()
    if not rooms:
        return
    manager = socketio.server.manager
    try:
        heads = dict(db.session.execute(select(Job.public_id, Job.last_seq).where(Job.public_id.in_(list(rooms)))).all())
    finally:
        db.session.remove()
    for job, sids in rooms.items():
        presence.refresh(job, sids)
        room = f"job:{job}"
        if job in heads:
            manager.emit_local("head", {"job": job, "last_seq": heads[job]}, room)
        manager.emit_local("presence", {"job": job, "watching": presence.watching(job)}, room)
