"""SIGTERM stops a worker gently (what `make reload` and any supervisor send): a request already in
flight still gets its answer and its write, sockets are told to go at once (so their clients
reconnect elsewhere and resume), and the process exits 0 within seconds."""
from __future__ import annotations

import json
import signal
import socket
import time

import pytest

from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


def test_a_request_in_flight_finishes_and_sockets_are_let_go(live_server):
    job, people = job_with_people(live_server)
    watcher = Watcher(live_server, people["client"]).connect()
    assert watcher.join(job["id"])["ok"]
    body = json.dumps({"body": "Sent as the worker stops"}).encode()
    head = (f"POST /api/v1/jobs/{job['id']}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {people['freelancer']['token']}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    raw = socket.create_connection(("127.0.0.1", live_server.port), timeout=10)
    try:
        raw.sendall(head + body[:10])  # the request is in flight: half its body has arrived
        time.sleep(0.3)
        started = time.monotonic()
        live_server.process.send_signal(signal.SIGTERM)
        assert watcher.wait_for(lambda: not watcher.client.connected, timeout=5)  # sockets go at once
        assert live_server.process.poll() is None  # but the worker waits for the request
        raw.sendall(body[10:])
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    finally:
        raw.close()
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
    assert live_server.process.wait(10) == 0 and time.monotonic() - started < 10
    assert "SIGTERM: draining" in live_server.log() and live_server.app_tracebacks() == []
