"""Delivery of one finished message: SMTP as SMTP_URL says, or an .eml file under instance/mail/."""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)
SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "ssl"}
TIMEOUT = 20


class MailError(Exception):
    """Delivery failed; the outbox retries later. `permanent` means retrying will not help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # plain | starttls | ssl
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://host:port`, `smtp+starttls://user:pass@host:587`, `smtps://user:pass@host:465`."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://host:25, smtp+starttls://user:pass@host:587 "
                         "or smtps://user:pass@host:465")
    security = SCHEMES[parts.scheme]
    default_port = {"plain": 25, "starttls": 587, "ssl": 465}[security]
    return SmtpTarget(parts.hostname, parts.port or default_port, security,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def deliver(message: EmailMessage, smtp_url: str | None, mail_dir: str | Path) -> str:
    """Send (or write) the message; where it went, for the log."""
    if not smtp_url:
        return _write_file(message, Path(mail_dir))
    target = parse_smtp_url(smtp_url)
    try:
        if target.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
        with client:
            if target.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if target.username:
                client.login(target.username, target.password or "")
            # The one recipient named, as given: smtplib would otherwise split the To header at commas.
            client.send_message(message, to_addrs=[str(message["To"])])
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        # Even a 5xx may be a server misconfigured for a while (auth, relay): retry with back-off.
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{exc.__class__.__name__}: {exc}") from exc
    return f"{target.host}:{target.port}"


def _write_file(message: EmailMessage, directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    ident = (message["Message-ID"] or "message").strip("<>").replace("/", "_").split("@")[0]
    path = directory / f"{ident}.eml"
    path.write_bytes(bytes(message))
    log.info("no SMTP_URL: wrote email %r to %s", message["Subject"], path)
    return str(path)
