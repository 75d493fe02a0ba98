"""A real SMTP server for tests (aiosmtpd on a free port) that keeps every message it receives."""
from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from email.message import EmailMessage
from typing import Any, Callable

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Mailbox:
    """Collects messages; `wait_for` polls until a condition holds or a deadline passes."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def start(self) -> "Mailbox":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, predicate: Callable[[list[EmailMessage]], bool], timeout: float = 20) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                snapshot = list(self.messages)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.05)
        raise AssertionError(f"no such mail within {timeout}s; got {[m['Subject'] for m in self.messages]}")

    def wait_to(self, address: str, count: int = 1, timeout: float = 20) -> list[EmailMessage]:
        self.wait_for(lambda ms: len([m for m in ms if address.lower() in str(m["To"]).lower()]) >= count, timeout)
        return self.to(address)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def links_in(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://[^\s<>\"']+", text_of(message))
