"""Scheduled work: auto-approval, reminders, notification emails and digests, mail sending, and ending
silent live sessions. `run_once(now)` is one round (the CLI's `flask tasks run-once --now` and the
background loop both call it).

Every serving process runs the loop, but a round runs only in the process holding the scheduler
lease (a row in the database), so each reminder and email is made once per deployment. Any process
may send the outbox right after a commit: rows are claimed one by one, so nothing is sent twice.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from workspace.extensions import db, socketio

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def run_once(app: Any, now: datetime | None = None) -> dict[str, int]:
    """One round of every scheduled job, as if the time were `now`; counts of what it did."""
    from workspace.mail.outbox import send_due
    from workspace.services import reminders
    from workspace.services.deliveries import approve_overdue
    from workspace.services.live import end_silent
    from workspace.services.attachments import purge_erased_files, purge_unsent
    from workspace.services.notify_email import compose_due

    done: dict[str, int] = {}
    done["reminders"] = reminders.run(now)
    done["auto_approved"] = approve_overdue(now=now)
    done["silent_sessions_ended"] = end_silent(app.config["LIVE_HEARTBEAT_TIMEOUT"]) if now is None else 0
    done["emails_composed"] = compose_due(now)
    done["emails_sent"] = send_due(now)
    done["unsent_files_deleted"] = purge_unsent(Path(app.config["UPLOAD_DIR"]), now)
    done["erased_files_removed"] = purge_erased_files(Path(app.config["UPLOAD_DIR"]))
    return done


def start(app: Any) -> None:
    """Start this process's scheduler loop and its mail sender."""
    from workspace.mail import outbox

    waker = outbox.Waker()
    outbox.WAKERS.append(waker)
    socketio.start_background_task(_scheduler_loop, app)
    socketio.start_background_task(_sender_loop, app, waker)


def _scheduler_loop(app: Any) -> None:
    from workspace.services.scheduler import take_lease

    interval = min(app.config["SCHEDULER_INTERVAL"], app.config["AUTO_APPROVE_INTERVAL"],
                   app.config["LIVE_HEARTBEAT_TIMEOUT"] / 4)
    while True:
        socketio.sleep(interval)
        try:
            with app.app_context():
                if take_lease("scheduler", HOLDER, max(3 * interval, 30)):
                    done = run_once(app)
                    if any(done.values()):
                        log.info("scheduled round: %s", done)
                db.session.remove()
        except Exception:  # noqa: BLE001 - keep trying next round (e.g. the database restarts)
            log.exception("scheduled round failed")


def _sender_loop(app: Any, waker: Any) -> None:
    """Send soon after a commit in this process (woken), and every MAIL_POLL_INTERVAL otherwise."""
    from workspace.mail.outbox import send_due

    while True:
        waker.wait(app.config["MAIL_POLL_INTERVAL"])
        try:
            with app.app_context():
                send_due()
                db.session.remove()
        except Exception:  # noqa: BLE001
            log.exception("mail sending failed")
