"""Reply by email for real: a server process, `flask mail-inbound` in its own process, smtplib as
the person's mail server, and a socket watching the room."""
from __future__ import annotations

import io
import smtplib
import socket
import subprocess
import sys
import time
import uuid
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
import requests
from unittest import mock

from tests.servers import ROOT, LiveServer, free_port
from tests.sockets import Watcher, job_with_people
from workspace import signing
from workspace.mail.inbound import (
    attachments_of,
    automatic_reason,
    client_ref,
    parse_address,
    reply_text,
    start,
    stop,
)

live = pytest.mark.realtime  # tests against real server processes

SECRET = "live-test-secret"  # tests/servers.py LiveServer


class Inbound:
    """`python -m flask --app wsgi mail-inbound` with the server's environment, on a free port."""

    def __init__(self, server: LiveServer, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = server.instance / f"inbound-{self.port}.log"
        self.env = {**{k: v for k, v in server.env.items() if k != "PORT"}, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Inbound":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "mail-inbound", "--host", "127.0.0.1",
             "--port", str(self.port)], cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mail-inbound exited: {self.log()}")
            if "Receiving replies on smtp://127.0.0.1:" in self.log():
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"mail-inbound did not start: {self.log()}")

    def stop(self) -> int | None:
        code = None
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                code = self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if hasattr(self, "_log"):
            self._log.close()
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def deliver(self, message: EmailMessage, *, mail_from: str | None = None,
                rcpt: str | None = None) -> tuple[int, str]:
        """One SMTP transaction; the (code, text) of RCPT when refused there, else of DATA."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as smtp:
            smtp.ehlo("mail.example.test")
            code, text = smtp.mail(mail_from if mail_from is not None else _addr(message["From"]))
            assert code == 250, (code, text)
            code, text = smtp.rcpt(rcpt or str(message["To"]))
            if code != 250:
                return code, text.decode()
            code, text = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
            return code, text.decode()


def _addr(value: Any) -> str:
    return str(value).rsplit("<", 1)[-1].rstrip(">") if "<" in str(value) else str(value)


def reply_address(user_id: int, job_id: str) -> str:
    return f"reply+{signing.sign(SECRET, 'reply', [user_id, job_id])}@example.test"


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 200)).save(out, "PNG")
    return out.getvalue()


NOTIFICATION = """While you were away from Live job:

- New message from Freelancer
  Here are the two concepts, which one do you prefer?
  http://127.0.0.1:5000/jobs/x#event-5

Reply to this email to post a message in the room.

Open the room: http://127.0.0.1:5000/jobs/x#event-5
--
Email preferences: http://127.0.0.1:5000/notifications/preferences/abc
Unsubscribe: http://127.0.0.1:5000/unsubscribe/def"""

NEW_TEXT = "The second one, please. Can you try it in **dark blue**?\n\nThanks,\nCarla"


def gmail_reply(person: dict[str, Any], to: str, *, text: str = NEW_TEXT, message_id: str | None = None,
                attachment: tuple[str, bytes] | None = None, sender: str | None = None) -> EmailMessage:
    """A reply as Gmail writes it: new text, signature, attribution, the quoted email; text and HTML."""
    quoted = "\n".join(("> " + line).rstrip() for line in NOTIFICATION.splitlines())
    message = EmailMessage()
    message["From"] = f"Carla Client <{sender or person['email']}>"
    message["To"] = to
    message["Subject"] = "Re: New message in Live job"
    message["Date"] = "Mon, 05 Jan 2026 10:09:12 +0100"
    message["Message-ID"] = message_id or make_msgid(domain="mail.gmail.test")
    message["In-Reply-To"] = "<notification-1@example.test>"
    message.set_content(f"{text}\n\n-- \nCarla Client\nAcme Corp | +1 555 0100\n\n"
                        f"On Mon, Jan 5, 2026 at 10:04 AM Workspace <{to}> wrote:\n\n{quoted}\n")
    html_text = text.replace("\n", "<br>")
    message.add_alternative(
        f'<div dir="ltr">{html_text}<br><div class="gmail_signature">Carla Client</div></div><br>'
        f'<div class="gmail_quote"><div class="gmail_attr">On Mon, Jan 5, 2026 at 10:04 AM Workspace wrote:'
        f'</div><blockquote class="gmail_quote">While you were away</blockquote></div>', subtype="html")
    if attachment:
        name, data = attachment
        message.add_attachment(data, maintype="image", subtype="png", filename=name)
    return message


def messages_in(server: LiveServer, who: dict[str, Any], job: str) -> list[dict[str, Any]]:
    events = server.api("GET", f"/jobs/{job}/events?after=0&limit=500", who, status=200).json()["events"]
    return [e["data"]["message"] for e in events if e["type"] == "message.posted"]


# ---------------------------------------------------------------- the embedded setup (SQLite, no Redis)

@pytest.fixture(scope="module")
def inbound(shared_server):
    listener = Inbound(shared_server, env={"ATTACHMENT_MAX_BYTES": "200000"}).start()
    yield listener
    code = listener.stop()
    assert code == 0, listener.log()  # SIGTERM ends it cleanly


@pytest.fixture
def room(shared_server):
    job, people = job_with_people(shared_server)
    return shared_server, job["id"], people


@live
def test_a_gmail_reply_appears_in_the_room_live_with_only_the_new_text_and_the_file(room, inbound):
    server, job, people = room
    watcher = Watcher(server, people["freelancer"]).connect()
    try:
        last = watcher.join(job)["last_seq"]
        image = png_bytes()
        reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job),
                            attachment=("concept-b.png", image))
        assert inbound.deliver(reply) == (250, "2.0.0 Posted to the room")
        # No Redis: the listener's process has no sockets; the server's periodic head tells the
        # watcher the room moved on, and it catches up like the browser does.
        assert watcher.wait_for(lambda: any(h["job"] == job and h["last_seq"] > last
                                            for h in watcher.signals["head"]), timeout=10)
        watcher.join(job, after=last)
        posted = [e for e in watcher.events if e["type"] == "message.posted" and e["seq"] > last]
        assert len(posted) == 1
        event = posted[0]
        assert event["actor"]["id"] == people["client"]["id"]
        message = event["data"]["message"]
        assert message["body"] == NEW_TEXT
        assert "<strong>dark blue</strong>" in message["html"]
        assert [(a["name"], a["type"], a["size"]) for a in message["attachments"]] == [
            ("concept-b.png", "image/png", len(image))]
        download = requests.get(server.url + message["attachments"][0]["url"], timeout=10,
                                headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
        assert download.status_code == 200 and download.content == image
    finally:
        watcher.close()


@live
def test_the_same_email_delivered_twice_posts_once(room, inbound):
    server, job, people = room
    reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job),
                        attachment=("brief.pdf", b"%PDF-1.4 a tiny brief"))
    assert inbound.deliver(reply)[0] == 250
    assert inbound.deliver(reply) == (250, "2.0.0 Already posted to the room")
    posted = messages_in(server, people["client"], job)
    assert [m["body"] for m in posted] == [NEW_TEXT]
    assert len(posted[0]["attachments"]) == 1


@live
def test_a_forged_or_expired_token_is_refused_at_rcpt_and_nothing_is_posted(room, inbound):
    server, job, people = room
    client = people["client"]
    good = reply_address(client["id"], job)
    local, domain = good.split("@")
    forged = [
        local[:-3] + ("AAA" if not local.endswith("AAA") else "BBB") + "@" + domain,  # signature changed
        f"reply+{signing.sign('another-secret', 'reply', [client['id'], job])}@{domain}",  # wrong key
        f"reply+{signing.sign(SECRET, 'prefs', [client['id'], job])}@{domain}",  # another purpose's token
        f"reply+{signing.sign(SECRET, 'reply', [people['freelancer']['id'], ''])}@{domain}",  # wrong shape
        f"hello@{domain}",
    ]

    # The same recipe without the back-dating is accepted, so the expired one is refused for its age.
    fresh = signing.sign(SECRET, "reply", [client["id"], job])
    assert signing.unsign(SECRET, "reply", fresh) == [client["id"], job]
    with mock.patch("time.time", return_value=time.time() - signing.PURPOSES["reply"] - 60):
        expired = signing.sign(SECRET, "reply", [client["id"], job])
    forged.append(f"reply+{expired}@{domain}")
    for address in forged:
        reply = gmail_reply(client, address)
        with smtplib.SMTP("127.0.0.1", inbound.port, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.send_message(reply)
        code, text = refused.value.recipients[address]
        assert code == 550 and text.startswith(b"5.1.1 This reply address is unknown or has expired"), address
    assert messages_in(server, client, job) == []


@live
def test_a_removed_member_is_bounced_and_nothing_is_posted(room, inbound):
    server, job, people = room
    client = people["client"]
    address = reply_address(client["id"], job)  # from an email sent while they were a member
    server.api("DELETE", f"/jobs/{job}/members/{client['id']}", people["freelancer"], status=200)
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=30) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.send_message(gmail_reply(client, address, attachment=("x.png", png_bytes())))
    assert refused.value.smtp_code == 550
    assert b"You are no longer a member of this job" in refused.value.smtp_error
    assert messages_in(server, people["freelancer"], job) == []


@live
def test_a_sender_other_than_the_tokens_person_is_refused(room, inbound):
    server, job, people = room
    address = reply_address(people["client"]["id"], job)
    code, text = inbound.deliver(gmail_reply(people["client"], address, sender=people["outsider"]["email"]))
    assert code == 550 and "belongs to someone else" in text
    # The freelancer's own address with the client's token is refused too.
    code, text = inbound.deliver(gmail_reply(people["client"], address, sender=people["freelancer"]["email"]))
    assert code == 550 and "belongs to someone else" in text
    assert messages_in(server, people["client"], job) == []
    # The right person in another letter case is the same address.
    code, _text = inbound.deliver(gmail_reply(people["client"], address, sender=people["client"]["email"].upper()))
    assert code == 250 and [m["body"] for m in messages_in(server, people["client"], job)] == [NEW_TEXT]


@live
def test_viewers_cannot_post_by_email(room, inbound):
    server, job, people = room
    code, text = inbound.deliver(gmail_reply(people["viewer"], reply_address(people["viewer"]["id"], job)))
    assert code == 550 and "Viewers cannot post" in text
    assert messages_in(server, people["viewer"], job) == []


@live
@pytest.mark.parametrize("headers,mail_from", [
    ({"Auto-Submitted": "auto-replied"}, None),
    ({"Auto-Submitted": "auto-generated; owner-email=x@example.test"}, None),
    ({"Precedence": "bulk"}, None),
    ({"Precedence": "auto_reply"}, None),
    ({"X-Autoreply": "yes"}, None),
    ({}, "MAILER-DAEMON@mail.example.test"),
], ids=["auto-replied", "auto-generated", "bulk", "auto_reply", "x-autoreply", "mailer-daemon"])
def test_automatic_replies_post_nothing_and_do_not_bounce(room, inbound, headers, mail_from):
    server, job, people = room
    reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job),
                        text="I am out of the office until Monday.")
    for name, value in headers.items():
        reply[name] = value
    assert inbound.deliver(reply, mail_from=mail_from) == (250, "2.0.0 Automatic reply ignored; nothing was posted")
    assert messages_in(server, people["client"], job) == []


@live
def test_an_explicit_auto_submitted_no_is_a_person(room, inbound):
    server, job, people = room
    reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job))
    reply["Auto-Submitted"] = "no"
    assert inbound.deliver(reply)[0] == 250
    assert len(messages_in(server, people["client"], job)) == 1


@live
def test_a_reply_with_nothing_new_is_bounced(room, inbound):
    server, job, people = room
    reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job), text="")
    code, text = inbound.deliver(reply)
    assert code == 550 and "empty after removing the quoted text" in text
    assert messages_in(server, people["client"], job) == []


@live
def test_a_file_over_the_limit_is_refused_with_552_and_nothing_is_stored(room, inbound):
    server, job, people = room
    big = b"%PDF-1.4 " + b"x" * 250_000  # the listener runs with ATTACHMENT_MAX_BYTES=200000
    reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job), attachment=("big.pdf", big))
    code, text = inbound.deliver(reply)
    assert code == 552 and "big.pdf is larger than the 195 KB limit" in text
    assert messages_in(server, people["client"], job) == []


@live
def test_an_html_only_outlook_reply_posts_its_text(room, inbound):
    server, job, people = room
    message = EmailMessage()
    message["From"] = people["client"]["email"]
    message["To"] = reply_address(people["client"]["id"], job)
    message["Subject"] = "RE: New message in Live job"
    message["Message-ID"] = make_msgid(domain="outlook.test")
    message.set_content(
        '<html><head><style>p{margin:0}</style></head><body><div>Please go with concept B &amp; dark blue.</div>'
        '<div><br></div><div>Carla</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> '
        'Workspace<br><b>Sent:</b> Monday</div><div>While you were away from Live job</div></body></html>',
        subtype="html")
    assert inbound.deliver(message)[0] == 250
    assert [m["body"] for m in messages_in(server, people["client"], job)] == [
        "Please go with concept B & dark blue.\n\nCarla"]


@live
def test_a_second_reply_address_in_one_message_is_deferred(room, inbound):
    _server, job, people = room
    first = reply_address(people["client"]["id"], job)
    second = reply_address(people["freelancer"]["id"], job)
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail(people["client"]["email"])
        assert smtp.rcpt(first)[0] == 250
        code, text = smtp.rcpt(second)
    assert code == 452 and b"One reply address per message" in text


# ---------------------------------------------------------------- PostgreSQL + Redis: live at once



@live
def test_with_redis_the_reply_reaches_open_sockets_at_once(postgres_url, redis_url, tmp_path: Path):
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    env = {"REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}", "HEAD_INTERVAL": "600"}  # heads cannot help
    server = LiveServer(postgres_url, tmp_path, redis_url=redis_url, env=env).start()
    listener = None
    watcher = None
    try:
        listener = Inbound(server).start()
        job, people = job_with_people(server)
        watcher = Watcher(server, people["freelancer"]).connect()
        last = watcher.join(job["id"])["last_seq"]
        image = png_bytes()
        reply = gmail_reply(people["client"], reply_address(people["client"]["id"], job["id"]),
                            attachment=("concept-b.png", image))
        started = time.monotonic()
        assert listener.deliver(reply) == (250, "2.0.0 Posted to the room")
        # The `event` arrives by itself (no head, no rejoin).
        assert watcher.wait_for(lambda: last + 1 in watcher.seqs(job["id"]), timeout=10), listener.log()
        assert time.monotonic() - started < 10
        assert not watcher.signals["head"]
        event = next(e for e in watcher.events if e["seq"] == last + 1)
        assert event["type"] == "message.posted" and event["data"]["message"]["body"] == NEW_TEXT
        assert [a["name"] for a in event["data"]["message"]["attachments"]] == ["concept-b.png"]
        # A removed member is refused here too.
        server.api("DELETE", f"/jobs/{job['id']}/members/{people['client']['id']}", people["freelancer"],
                   status=200)
        second = gmail_reply(people["client"], reply_address(people["client"]["id"], job["id"]), text="Again")
        code, text = listener.deliver(second)
        assert code == 550 and "no longer a member" in text
        assert [m["body"] for m in messages_in(server, people["freelancer"], job["id"])] == [NEW_TEXT]
    finally:
        if watcher is not None:
            watcher.close()
        if listener is not None:
            listener.stop()
        server.stop()


# ---------------------------------------------------------------- the listener in this process

def test_an_unexpected_failure_answers_451_and_the_listener_keeps_serving(tmp_path: Path):
    """A database that cannot be opened is not the sender's fault: 451 (retry later), logged, and the
    listener answers the next message too."""
    from tests.conftest import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path}/no/such/directory/x.db", tmp_path)
    controller = start(app, "127.0.0.1", free_port())
    try:
        address = f"reply+{signing.sign(app.config['SECRET_KEY'], 'reply', [1, 'AbCdEfGhIjKlMnOp'])}@example.test"
        for _ in range(2):
            with smtplib.SMTP(controller.hostname, controller.port, timeout=30) as smtp:
                with pytest.raises(smtplib.SMTPDataError) as failed:
                    smtp.send_message(gmail_reply({"email": "carla@example.test"}, address))
            assert failed.value.smtp_code == 451 and failed.value.smtp_error.startswith(b"4.3.0")
        with smtplib.SMTP(controller.hostname, controller.port, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.send_message(gmail_reply({"email": "carla@example.test"}, "reply+forged@example.test"))
    finally:
        stop(controller)


# ---------------------------------------------------------------- reading messages (no servers)

def _parsed(message: EmailMessage) -> EmailMessage:
    """As the listener sees it: the bytes on the wire, parsed again."""
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def _plain(text: str = "Here you go.\n") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Carla <carla@example.test>"
    message["To"] = "reply+x@example.test"
    message["Subject"] = "Re: files"
    message.set_content(text)
    return message


def test_apple_mail_files_inside_the_html_alternative_are_kept():
    image = png_bytes()
    message = _plain()
    html = MIMEPart()
    html.set_content("<p>Here you go.</p>", subtype="html")
    html.make_mixed()
    html.add_attachment(image, maintype="image", subtype="png", filename="photo.png", disposition="inline")
    message.make_alternative()
    message.attach(html)
    parsed = _parsed(message)
    assert attachments_of(parsed) == [("photo.png", image)]
    assert reply_text(parsed) == "Here you go."


def test_outlook_signature_images_and_smime_signatures_are_not_files_but_attachments_are():
    message = _plain()
    message.add_alternative('<p>Here you go.</p><img src="cid:image001@x">', subtype="html")
    message.get_payload()[1].add_related(png_bytes(), "image", "png", cid="<image001@x>", filename="image001.png",
                                              disposition="inline")
    message.add_attachment(b"%PDF-1.4 report", maintype="application", subtype="pdf", filename="report.pdf")
    message.add_attachment(b"0\x82sig", maintype="application", subtype="pkcs7-signature", filename="smime.p7s")
    message.add_attachment(b"", maintype="text", subtype="plain", filename="empty.txt")
    assert attachments_of(_parsed(message)) == [("report.pdf", b"%PDF-1.4 report")]


def test_a_forwarded_email_and_an_unnamed_file_are_kept_with_names():
    message = _plain()
    message.add_attachment(_plain("the forwarded one\n"))
    message.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", disposition="attachment")
    names = [name for name, _data in attachments_of(_parsed(message))]
    assert names == ["message.eml", "attachment.pdf"]


def test_a_format_flowed_reply_is_unflowed_before_stripping():
    raw = (b"From: carla@example.test\r\nTo: reply+x@example.test\r\nSubject: Re\r\n"
           b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n"
           b"I will send the signed copy to \r\nmorrow morning.\r\n\r\n"
           b"On Mon, Jan 5, 2026 at 10:04 AM Workspace wrote:\r\n> While you were away\r\n")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert reply_text(message) == "I will send the signed copy tomorrow morning."  # type: ignore[arg-type]


def test_delivery_reports_and_null_senders_are_automatic():
    report = _plain()
    report.replace_header("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')
    assert automatic_reason(_plain(), "") == "null sender (a bounce)"
    assert automatic_reason(_plain(), "<>") == "null sender (a bounce)"
    assert automatic_reason(report, "carla@example.test") == "delivery report"
    assert automatic_reason(_plain(), "carla@example.test") is None


def test_reply_addresses_and_references():
    token = signing.sign(SECRET, "reply", [7, "AbCdEfGhIjKlMnOp"])
    assert parse_address(SECRET, f"Reply+{token}@Example.TEST") == (7, "AbCdEfGhIjKlMnOp")
    assert parse_address(SECRET, f"reply+{token}") is None
    assert parse_address(SECRET, f"reply+{signing.sign(SECRET, 'reply', [True, 'x'])}@e.test") is None
    one, other = _plain(), _plain()
    one["Message-ID"] = "<abc@mail.gmail.test>"
    other["Message-ID"] = " <abc@mail.gmail.test> "
    assert client_ref(one, "a") == client_ref(other, "b") and len(client_ref(one, "a")) <= 64
    assert client_ref(_plain(), "a") != client_ref(_plain(), "b")  # no Message-ID: from the content
