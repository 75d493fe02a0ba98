"""The transactional outbox: an email row is written in the transaction that causes it; a sender
claims due rows one at a time (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on SQLite), delivers
after commit, and retries with exponential back-off. A crash between commit and send loses nothing:
the row (or its expired lease) is picked up by the next round."""
from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any, Callable

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workspace import signing
from workspace.db import Transaction, rowcount, transaction, utcnow
from workspace.extensions import db
from workspace.mail.compose import build_message, public_url, render
from workspace.mail.transport import MailError, deliver
from workspace.models import EmailOutbox

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=2)
# Purposes that are sent even before the address is verified (the rest wait for it).
UNHELD = frozenset({"verify", "verify_change", "reset", "password_changed", "email_changed", "signup_exists"})

# Functions that wake this process's sender after a commit (set by workspace.tasks).
WAKERS: list[Callable[[], None]] = []


def _domain() -> str:
    addr = parseaddr(current_app.config["MAIL_FROM"])[1]
    return addr.split("@", 1)[1] if "@" in addr else "localhost"


def reply_address(user_id: int, job_public_id: str) -> str:
    """reply+<signed token>@<MAIL_REPLY_DOMAIN>: answers post into the job as that person."""
    token = signing.sign(current_app.config["SECRET_KEY"], "reply", [user_id, job_public_id])
    return f"reply+{token}@{current_app.config.get('MAIL_REPLY_DOMAIN') or _domain()}"


def links_for(user_id: int | None) -> dict[str, str]:
    """The preferences and one-click unsubscribe links of one person (work without logging in)."""
    if user_id is None:
        return {}
    secret = current_app.config["SECRET_KEY"]
    return {
        "prefs_url": public_url("/notifications/preferences/" + signing.sign(secret, "prefs", user_id)),
        "unsubscribe_url": public_url("/unsubscribe/" + signing.sign(secret, "unsubscribe", [user_id, None])),
    }


def message_id() -> str:
    """A Message-ID no other email shares (the outbox's unique key). Not `email.utils.make_msgid`: its
    uniqueness rests on the `random` module, whose state a fork copies and a seeded test repeats."""
    return f"<{secrets.token_hex(16)}@{_domain()}>"


def enqueue(tx: Transaction | Session, *, to: str, template: str, purpose: str, user_id: int | None = None,
            verified: bool = True, reply_job: str | None = None, context: dict[str, Any] | None = None,
            extra_headers: dict[str, str] | None = None, now: datetime | None = None) -> EmailOutbox:
    """Write one email into the outbox, in the caller's transaction; it is sent after commit."""
    session = tx.session if isinstance(tx, Transaction) else tx
    links = links_for(user_id)
    subject, text, html = render(template, **links, **(context or {}))
    headers: dict[str, str] = {"Auto-Submitted": "auto-generated", "X-Workspace-Purpose": purpose,
                               **(extra_headers or {})}
    if links:
        headers["List-Unsubscribe"] = f"<{links['unsubscribe_url']}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if reply_job and user_id is not None:
        headers["Reply-To"] = reply_address(user_id, reply_job)
    held = not verified and purpose not in UNHELD
    row = EmailOutbox(user_id=user_id, purpose=purpose, to_addr=to, subject=subject[:300], text_body=text,
                      html_body=html, headers=headers, message_id=message_id(),
                      status="held" if held else "pending", next_attempt_at=now or utcnow())
    session.add(row)
    session.flush()
    if isinstance(tx, Transaction):
        tx.after_commit(wake)
    return row


def wake() -> None:
    for waker in WAKERS:
        waker()


def release_held(session: Session, user_id: int) -> int:
    """The address is verified: what waited for it goes out."""
    return rowcount(session.execute(update(EmailOutbox).where(EmailOutbox.user_id == user_id,
                                                              EmailOutbox.status == "held")
                                    .values(status="pending", next_attempt_at=utcnow())))


def _claim(now: datetime) -> EmailOutbox | None:
    """Take one due row for this sender: pending and due, or `sending` with a lapsed lease (a crash)."""
    with transaction() as tx:
        query = (select(EmailOutbox).where(or_(
            (EmailOutbox.status == "pending") & (EmailOutbox.next_attempt_at <= now),
            (EmailOutbox.status == "sending") & (EmailOutbox.lease_until < now),
        )).order_by(EmailOutbox.id).limit(1))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = tx.session.scalar(query)
        if row is None:
            return None
        claimed = rowcount(tx.session.execute(
            update(EmailOutbox).where(EmailOutbox.id == row.id, EmailOutbox.status == row.status)
            .values(status="sending", lease_until=now + LEASE, attempts=EmailOutbox.attempts + 1)))
        if not claimed:
            return None
        tx.session.refresh(row)
    return row


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 hour."""
    base = float(current_app.config.get("MAIL_RETRY_BASE", 30))
    return timedelta(seconds=min(3600.0, base * 2 ** max(0, attempts - 1)))


def send_due(now: datetime | None = None, limit: int = 100) -> int:
    """Deliver due rows one by one; returns how many were sent."""
    config = current_app.config
    sent = 0
    for _ in range(limit):
        moment = now or utcnow()
        row = _claim(moment)
        if row is None:
            break
        message = build_message(to=row.to_addr, subject=row.subject, text=row.text_body, html=row.html_body,
                                message_id=row.message_id, headers=row.headers, sender=config["MAIL_FROM"])
        try:
            where = deliver(message, config.get("SMTP_URL"), config["MAIL_DIR"])
        except MailError as exc:
            give_up = exc.permanent or row.attempts >= int(config.get("MAIL_MAX_ATTEMPTS", 8))
            with transaction() as tx:
                tx.session.execute(update(EmailOutbox).where(EmailOutbox.id == row.id).values(
                    status="failed" if give_up else "pending", lease_until=None, last_error=str(exc)[:2000],
                    next_attempt_at=moment + backoff(row.attempts)))
            log.warning("email %s to %s failed (attempt %d%s): %s", row.id, row.to_addr, row.attempts,
                        ", giving up" if give_up else "", exc)
            continue
        with transaction() as tx:
            tx.session.execute(update(EmailOutbox).where(EmailOutbox.id == row.id).values(
                status="sent", sent_at=moment, lease_until=None, last_error=None))
        log.debug("email %s sent to %s via %s", row.id, row.to_addr, where)
        sent += 1
    return sent


class Waker:
    """A per-process event the sender loop waits on (green under eventlet's monkey patching)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self) -> None:
        self.event.set()

    def wait(self, timeout: float) -> None:
        self.event.wait(timeout)
        self.event.clear()
