"""Replies by email: an SMTP listener (aiosmtpd) for `reply+TOKEN@` addresses. It checks the signed
token, the sender and their membership, then posts the new text and the attachments into the room.

`flask mail-inbound --host --port` runs it (`serve`); tests use `start`. Every refusal is a clear
SMTP answer, so the person gets a bounce saying why and nothing is posted:
- RCPT: an address that is not `reply+TOKEN@…`, or whose token is forged or expired -> 550 5.1.1.
- DATA: automatic mail (auto-replies, bounces, lists) -> 250 and nothing posted (no bounce loops);
  a From that is not the token's person -> 550; no longer a member, or a viewer -> 550; nothing
  left after removing the quoted text -> 550; a file over ATTACHMENT_MAX_BYTES -> 552; a
  DomainError -> 550 with its message (451 when busy); anything unexpected -> 451 4.3.0 and logged.
- A re-delivered email posts once: the message's client_ref is a digest of its Message-ID.

Reaching people watching the room live: posting goes through `services.messages.post_message`,
whose unit of work publishes the event after commit with this process's Socket.IO client manager.
With REDIS_URL set, that manager publishes on the Redis channel every serving worker listens to, so
the event reaches open sockets at once (python-socketio's pub/sub managers are made for emitting
from outside the server: an emit publishes without this process ever starting a listener).
Without Redis (the embedded SQLite setup) this process has no sockets to emit to; the serving
process sends every room `head {job, last_seq}` each HEAD_INTERVAL seconds (realtime/heads.py),
clients see a seq past theirs and catch up, so the reply still appears within a few seconds.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import mimetypes
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from workspace import signing
from workspace.domain.errors import DomainError, Forbidden, NotFound
from workspace.extensions import db
from workspace.mail.reply_text import strip_html_reply, strip_reply, unflow
from workspace.models import Message as RoomMessage
from workspace.models import User
from workspace.services import attachments as attachment_service
from workspace.services import messages as message_service
from workspace.services.access import load_member, require

log = logging.getLogger(__name__)

LOCAL_PREFIX = "reply+"
POST_TIMEOUT = 60  # seconds for the database work of one reply; past it the sender retries (4xx)
WORKERS = 4  # replies posted at once; more wait in line (each is a short database transaction)
AUTO_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
DAEMON_SENDERS = frozenset({"mailer-daemon", "postmaster"})
SKIPPED_TYPES = frozenset({"application/pgp-signature", "application/pkcs7-signature",
                           "application/x-pkcs7-signature", "application/ms-tnef"})

BAD_ADDRESS = ("550 5.1.1 This reply address is unknown or has expired (replies work for 60 days after the "
               "email); nothing was posted. Reply to a newer notification, or post in the room.")
ONE_ADDRESS = "452 4.5.3 One reply address per message; send the others separately"
POSTED = "250 2.0.0 Posted to the room"
ALREADY = "250 2.0.0 Already posted to the room"
AUTOMATIC = "250 2.0.0 Automatic reply ignored; nothing was posted"
NOT_THE_PERSON = ("550 5.7.1 This reply address belongs to someone else: send your reply from the address that "
                  "received the notification. Nothing was posted.")
NOT_A_MEMBER = "550 5.7.1 You are no longer a member of this job; nothing was posted."
VIEWER = "550 5.7.1 Viewers cannot post messages in this job; nothing was posted."
EMPTY = "550 5.6.0 Your reply was empty after removing the quoted text; nothing was posted."
TRY_LATER = "451 4.3.0 Something went wrong on our side; your mail server will try again later"


class Bounce(Exception):
    """Refuse the message with this SMTP reply (a 4xx or 5xx line)."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def smtp_text(text: str) -> str:
    """One line of printable ASCII (SMTP replies are not MIME-encoded)."""
    text = " ".join(str(text).split())
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)[:400]


def domain_reply(error: DomainError) -> str:
    """The SMTP answer for a refusal from a service."""
    if error.status in (429, 503):
        return f"451 4.3.0 {smtp_text(error.message)}"
    if error.status == 413:
        return f"552 5.3.4 {smtp_text(error.message)} Nothing was posted."
    return f"550 5.7.1 {smtp_text(error.message)} Nothing was posted."


def parse_address(secret: str, address: str) -> tuple[int, str] | None:
    """(user id, job public id) from `reply+TOKEN@domain` with a genuine, unexpired token."""
    if not isinstance(address, str) or "@" not in address:
        return None
    local = address.rpartition("@")[0]
    if not local.lower().startswith(LOCAL_PREFIX):
        return None
    payload = signing.unsign(secret, "reply", local[len(LOCAL_PREFIX):])
    if (not isinstance(payload, list) or len(payload) != 2 or isinstance(payload[0], bool)
            or not isinstance(payload[0], int) or not isinstance(payload[1], str)):
        return None
    return payload[0], payload[1]


def automatic_reason(message: EmailMessage, mail_from: str | None) -> str | None:
    """Why this mail was sent by a machine (auto-reply, bounce, list), or None for a person's reply."""
    auto = str(message.get("Auto-Submitted", "") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(message.get("Precedence", "") or "").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if message.get(header) is not None:
            return header
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if not mail_from or mail_from == "<>":
        return "null sender (a bounce)"
    senders = [mail_from, parseaddr(str(message.get("From", "") or ""))[1]]
    if any(s.rpartition("@")[0].lower() in DAEMON_SENDERS for s in senders if s and "@" in s):
        return "mailer-daemon sender"
    return None


def sender_address(message: EmailMessage) -> str | None:
    """The one address in From, or None when there is not exactly one."""
    values = [str(v) for v in message.get_all("From", []) or []]
    addresses = [addr for _name, addr in getaddresses(values) if "@" in addr]
    return addresses[0] if len(addresses) == 1 else None


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
        return content if isinstance(content, str) else ""
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def reply_text(message: EmailMessage) -> str:
    """The new text of the reply: the plain part without quotes and signature, else the HTML part's."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        text = _content(part)  # type: ignore[arg-type]
        if str(part.get_param("format", "")).lower() == "flowed":
            text = unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
        return strip_reply(text)
    part = message.get_body(preferencelist=("html",))
    return strip_html_reply(_content(part)) if part is not None else ""  # type: ignore[arg-type]


def _leaves(part: EmailMessage, parent: str | None = None) -> Iterator[tuple[EmailMessage, str | None]]:
    if part.get_content_maintype() == "multipart":
        for sub in part.iter_parts():
            yield from _leaves(sub, part.get_content_subtype())  # type: ignore[arg-type]
    else:
        yield part, parent


def attachments_of(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(filename, bytes) of each attached file. Images embedded in the HTML (multipart/related, such
    as signature logos) and cryptographic signatures are not files the person attached."""
    files: list[tuple[str, bytes]] = []
    for part, parent in _leaves(message):
        kind = part.get_content_type()
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if kind == "message/rfc822":
            inner = part.get_payload(0) if part.is_multipart() else None
            data = inner.as_bytes() if isinstance(inner, Message) else b""
            filename = filename or "message.eml"
        else:
            if not (filename or disposition == "attachment") or kind in SKIPPED_TYPES:
                continue
            if parent == "related" and part["Content-ID"] and disposition != "attachment":
                continue
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        if not data:
            continue
        files.append((filename or "attachment" + (mimetypes.guess_extension(kind) or ""), data))
    return files


def client_ref(message: EmailMessage, text: str) -> str:
    """A stable reference for this email, so a re-delivery (same Message-ID) posts nothing new."""
    message_id = " ".join(str(message.get("Message-ID", "") or "").split())
    basis = message_id or "\n".join(["no-id", str(message.get("From", "")), str(message.get("Date", "")),
                                     str(message.get("Subject", "")), text])
    return "email:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:48]


def receive(config: dict[str, Any], mail_from: str | None, recipient: str, content: bytes) -> str:
    """Check and post one reply (inside an app context); the SMTP answer for the sender."""
    target = parse_address(config["SECRET_KEY"], recipient)
    if target is None:
        return BAD_ADDRESS
    user_id, job_id = target
    message = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(message, EmailMessage)
    reason = automatic_reason(message, mail_from)
    if reason is not None:
        log.info("ignored automatic mail to job %s (%s)", job_id, reason)
        return AUTOMATIC
    session = db.session()
    user = session.get(User, user_id)
    if user is None:
        raise Bounce(BAD_ADDRESS)
    sender = sender_address(message)
    if sender is None or sender.casefold() != user.email.casefold():
        raise Bounce(NOT_THE_PERSON)
    try:
        job, membership = load_member(session, user, job_id)
    except NotFound:
        raise Bounce(NOT_A_MEMBER) from None
    try:
        require(membership, "message.post")
    except Forbidden:
        raise Bounce(VIEWER) from None
    text = reply_text(message)
    ref = client_ref(message, text)
    if session.scalar(select(RoomMessage.id).where(RoomMessage.job_id == job.id, RoomMessage.author_id == user.id,
                                                   RoomMessage.client_ref == ref)) is not None:
        log.info("a re-delivered reply to job %s was already posted (user %s)", job_id, user.id)
        return ALREADY
    files = attachments_of(message)
    _check(config, text, files)
    directory, limit = Path(config["UPLOAD_DIR"]), int(config["ATTACHMENT_MAX_BYTES"])
    ids = []
    for name, data in files:
        view = attachment_service.upload_attachment(user, job_id, _opener(name, data), directory=directory,
                                                    max_bytes=limit)
        ids.append(view["id"])
    event = message_service.post_message(user, job_id, text, client_ref=ref, attachments=ids or None)
    log.info("reply by email posted to job %s as event %s (user %s, %d files)", job_id, event["seq"], user.id, len(ids))
    return POSTED


def _opener(name: str, data: bytes) -> Callable[[], tuple[IO[bytes], str]]:
    return lambda: (io.BytesIO(data), name)


def _check(config: dict[str, Any], text: str, files: list[tuple[str, bytes]]) -> None:
    """Refuse what post_message would refuse, before any file is stored."""
    if not text and not files:
        raise Bounce(EMPTY)
    if len(text) > message_service.BODY_MAX:
        raise Bounce(f"550 5.6.0 Your reply is longer than {message_service.BODY_MAX:,} characters; "
                     "nothing was posted.")
    if len(files) > message_service.MAX_ATTACHMENTS:
        raise Bounce(f"552 5.3.4 Attach at most {message_service.MAX_ATTACHMENTS} files to one reply; "
                     "nothing was posted.")
    limit = int(config["ATTACHMENT_MAX_BYTES"])
    for name, data in files:
        if len(data) > limit:
            raise Bounce(f"552 5.3.4 {smtp_text(name)[:100]} is larger than the {_size(limit)} limit for files; "
                         "nothing was posted.")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


class ReplyHandler:
    """aiosmtpd handler: cheap token check at RCPT; parsing and posting in a worker thread at DATA."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.secret = app.config["SECRET_KEY"]
        self.executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="mail-inbound")

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if parse_address(self.secret, address) is None:
            log.info("refused reply address (unknown, forged or expired token)")
            return BAD_ADDRESS
        if envelope.rcpt_tos:
            return ONE_ADDRESS  # one answer per message: the sender retries the others on their own
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.executor, self.deliver, envelope.mail_from, envelope.rcpt_tos[0], content)
        try:
            return await asyncio.wait_for(work, POST_TIMEOUT)
        except TimeoutError:
            # The post may still land; the retry then finds it by its client_ref and posts nothing.
            log.error("posting a reply took over %ss; asked the sender to retry", POST_TIMEOUT)
            return TRY_LATER
        except Exception:  # noqa: BLE001 - the listener must outlive any one message
            log.exception("reply by email failed")
            return TRY_LATER

    def deliver(self, mail_from: str | None, recipient: str, content: bytes) -> str:
        """Runs in a worker thread: one app context and one session per message."""
        with self.app.app_context():
            try:
                return receive(self.app.config, mail_from, recipient, content)
            except Bounce as bounce:
                log.info("bounced a reply: %s", bounce.reply)
                return bounce.reply
            except DomainError as error:
                log.info("a service refused a reply: %s", error.message)
                return domain_reply(error)
            except Exception:  # noqa: BLE001 - logged; the sender retries later
                log.exception("reply by email failed")
                return TRY_LATER
            finally:
                db.session.remove()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def data_size_limit(app: Flask) -> int:
    """Room for one attachment of the largest allowed size, base64-encoded (4/3), plus the text:
    never below 30 MB. A bigger message is refused by aiosmtpd itself with 552."""
    return max(30 * 1024 * 1024, int(app.config["ATTACHMENT_MAX_BYTES"]) * 4 // 3 + 2 * 1024 * 1024)


def _banner_name(app: Flask, host: str) -> str:
    mail_from = parseaddr(str(app.config.get("MAIL_FROM", "")))[1]
    domain = app.config.get("MAIL_REPLY_DOMAIN") or mail_from.rpartition("@")[2]
    return domain if re.fullmatch(r"[A-Za-z0-9.-]{1,253}", domain or "") else host


def start(app: Flask, host: str, port: int) -> Controller:
    """Start the listener in its own thread (aiosmtpd's Controller); `stop(controller)` ends it."""
    controller = Controller(ReplyHandler(app), hostname=host, port=port, server_hostname=_banner_name(app, host),
                            data_size_limit=data_size_limit(app), ident="Workspace replies")
    controller.start()
    return controller


def stop(controller: Controller) -> None:
    controller.stop()
    handler = controller.handler
    if isinstance(handler, ReplyHandler):
        handler.close()


def serve(app: Flask, host: str, port: int) -> None:
    """Run the listener until SIGINT or SIGTERM."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    controller = start(app, host, port)
    print(f"Receiving replies on smtp://{host}:{port}", flush=True)
    try:
        while not done.wait(1):
            pass
    finally:
        stop(controller)
