"""Background work of a serving process: approve submissions whose review window ran out, and end
live sessions whose publisher has gone silent.

Every worker may run it: each approval locks its milestone row and re-checks, so two workers never
approve twice. Reads of a job also settle due reviews, so nothing depends on this task running.
"""
from __future__ import annotations

import logging
from typing import Any

from workspace.extensions import db, socketio

log = logging.getLogger(__name__)


def start(app: Any) -> None:
    interval = min(app.config["AUTO_APPROVE_INTERVAL"], app.config["LIVE_HEARTBEAT_TIMEOUT"] / 4)
    socketio.start_background_task(_loop, app, interval)


def _loop(app: Any, interval: float) -> None:
    from workspace.services.deliveries import approve_overdue
    from workspace.services.live import end_silent

    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                done = approve_overdue()
                if done:
                    log.info("auto-approved %d submission(s)", done)
                ended = end_silent(app.config["LIVE_HEARTBEAT_TIMEOUT"])
                if ended:
                    log.info("ended %d silent live session(s)", ended)
                db.session.remove()
        except Exception:  # noqa: BLE001 - keep trying next round (e.g. the database restarts)
            log.exception("auto-approval round failed")
