"""A python-socketio client that records what a room sends it, for tests against a real server."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import socketio


class Watcher:
    """One connected socket (token auth) recording `event`, `head`, `presence`, `typing`, `read`."""

    def __init__(self, server: Any, who: dict[str, Any]) -> None:
        self.server, self.who = server, who
        self.events: list[dict[str, Any]] = []
        self.signals: dict[str, list[Any]] = {"head": [], "presence": [], "typing": [], "read": [],
                                              "resync_required": [], "notification": []}
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("event", self._on_event)
        for name in self.signals:
            self.client.on(name, self._recorder(name))

    def _on_event(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(data)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            with self.lock:
                self.signals[name].append(data)
        return record

    def connect(self) -> "Watcher":
        self.client.connect(self.server.url, auth={"token": self.who["token"]}, transports=["websocket"],
                            wait_timeout=5)
        return self

    def call(self, event: str, payload: Any = None, timeout: float = 10) -> Any:
        return self.client.call(event, payload, timeout=timeout)

    def join(self, job: str, after: int = 0) -> dict[str, Any]:
        """Join and fold the catch-up page into `events` (dropping duplicates, like the browser)."""
        ack = self.call("join", {"job": job, "after": after})
        if ack.get("ok"):
            with self.lock:
                seen = {e["seq"] for e in self.events if e["job"] == job}
                self.events.extend(e for e in ack["events"] if e["seq"] not in seen)
                self.events.sort(key=lambda e: (e["job"], e["seq"]))
        return ack

    def seqs(self, job: str) -> list[int]:
        with self.lock:
            return [e["seq"] for e in self.events if e["job"] == job]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def job_with_people(server: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Over real HTTP: freelancer, client, viewer and outsider (the freelancer with a way to be paid),
    and a job with the first three in it."""
    people = {role: server.signup(role) for role in ("freelancer", "client", "viewer", "outsider")}
    # A freelancer set up to be paid (else the room's first step for them is to say how).
    server.api("PUT", "/me/billing", people["freelancer"], {"name": "Freelancer", "payment_methods": [
        {"kind": "paypal", "value": "freelancer@example.test"}]}, status=200)
    job = server.api("POST", "/jobs", people["freelancer"], {"title": "Live job"}, status=201).json()["job"]
    for role in ("client", "viewer"):
        invite = server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": role},
                            status=201).json()["invite"]
        server.api("POST", f"/invites/{invite['token']}/accept", people[role], status=200)
    return job, people


def job_in_force(server: Any, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """job_with_people, with `body` proposed by the freelancer and accepted by the client."""
    job, people = job_with_people(server)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], body,
                          status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", people["client"],
               {"terms_hash": proposed["terms_hash"]}, status=200)
    return job, people
