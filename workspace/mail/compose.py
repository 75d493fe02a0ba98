"""Emails from templates: one Jinja file per email under templates/email/ with blocks `subject`,
`text` and `html`; links are absolute, from PUBLIC_URL (never from the request's Host)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from typing import Any

from flask import current_app


def public_url(path: str) -> str:
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    return base + (path if path.startswith("/") else "/" + path)


def render(template: str, **context: Any) -> tuple[str, str, str]:
    """(subject, text, html) of `email/<template>.html` rendered with `context`."""
    env = current_app.jinja_env
    tmpl = env.get_template(f"email/{template}.html")
    ctx = tmpl.new_context({**context, "public_url": public_url})
    parts = {name: "".join(tmpl.blocks[name](ctx)).strip() for name in ("subject", "text", "html")}
    subject = " ".join(parts["subject"].split())
    return subject, parts["text"] + "\n", parts["html"]


def build_message(*, to: str, subject: str, text: str, html: str, message_id: str,
                  headers: dict[str, str], sender: str) -> EmailMessage:
    """A multipart/alternative message (text first, then HTML) with our headers."""
    message = EmailMessage()
    name, addr = parseaddr(sender)
    message["From"] = formataddr((name, addr)) if addr else sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for key, value in headers.items():
        message[key] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
