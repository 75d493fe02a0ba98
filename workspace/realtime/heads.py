"""Each worker, every few seconds: `head {job, last_seq}` and the presence list to its own sockets.

A client whose last live event was dropped (emits are at-most-once) sees a head beyond its seq and
catches up; presence entries of sockets on a dead worker go stale and drop out.

Only what changed is sent: a room gets its head and presence again when its last_seq, its presence
list or this worker's sockets in it changed since the last tick, and at least every KEEP_ALIVE
seconds. A quiet room (most of them, most of the time) then costs no frames: with thousands of
rooms, re-sending the same two frames to every socket every 5 s was a load of its own.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select

from workspace.extensions import db, socketio
from workspace.models import Job
from workspace.realtime.presence import presence
from workspace.realtime.rooms import local_rooms

log = logging.getLogger(__name__)
_started: set[int] = set()
KEEP_ALIVE = 60.0
# job -> what this worker last sent its room: (last_seq, watching, sockets here, when both were sent)
_sent: dict[str, tuple[int | None, list[dict[str, Any]] | None, int, float]] = {}


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
    now = time.monotonic()
    for gone in set(_sent) - set(rooms):
        del _sent[gone]
    for job, sids in rooms.items():
        presence.refresh(job, sids)
        room = f"job:{job}"
        head, watching = heads.get(job), presence.watching(job, fresh=True)
        sent_head, sent_watching, sent_sockets, sent_at = _sent.get(job, (None, None, -1, float("-inf")))
        renew = now - sent_at >= KEEP_ALIVE or sent_sockets != len(sids)
        if head is not None and (renew or head != sent_head):
            manager.emit_local("head", {"job": job, "last_seq": head}, room)
        if renew or watching != sent_watching:
            manager.emit_local("presence", {"job": job, "watching": watching}, room)
        _sent[job] = (head, watching, len(sids), now if renew else sent_at)
