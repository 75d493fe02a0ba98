"""Background work of a serving process: approve submissions whose review window ran out.

Every worker may run it: each approval locks its milestone row and re-checks, so two workers never
approve twice. Reads of a job also settle due reviews, so nothing depends on this task running.
"""
from __future__ import annotations

import logging
from typing import Any

from workspace.extensions import db, socketio

log = logging.getLogger(__name__)


def start(app: Any) -> None:
    socketio.start_background_task(_loop, app, app.config.get("AUTO_APPROVE_INTERVAL", 60))


def _loop(app: Any, interval: float) -> None:
    from workspace.services.deliveries import approve_overdue

    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                done = approve_overdue()
                if done:
                    log.info("auto-approved %d submission(s)", done)
                db.session.remove()
        except Exception:  # noqa: BLE001 - keep trying next round (e.g. the database restarts)
            log.exception("auto-approval round failed")
