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



def _frame(text: str) -> bytes:
    """One masked WebSocket text frame, as a client sends it."""
    import os
    import struct

    data, mask = text.encode(), os.urandom(4)
    head = b"\x81" + (bytes([0x80 | len(data)]) if len(data) < 126 else b"\xfe" + struct.pack(">H", len(data)))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _frozen_reader(port: int, token: str, job: str) -> socket.socket:
    """A Socket.IO client (raw WebSocket, a tiny receive buffer) that joins a room and then never reads
    again: a frozen tab. The server's writer for it blocks once the TCP window is full."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", port))
    raw.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n")
    seen = b""

    def until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            seen += raw.recv(4096)

    until(b'0{"sid"')  # Engine.IO open
    raw.sendall(_frame("40" + json.dumps({"token": token})))
    until(b'40{"sid"')  # Socket.IO connected
    raw.sendall(_frame("421" + json.dumps(["join", {"job": job}])))
    until(b"431[")  # the join's ack: the socket is in the room
    return raw


def test_a_socket_whose_client_stopped_reading_does_not_hold_the_stop(tmp_path, sqlite_template):
    """A client that stopped reading (its server-side writer blocked on a full TCP window) held a stopping
    worker until it was killed: telling each socket to go waited for its queue to drain, before the
    accept loop was even told to end (with this commit reverted, this test fails: the worker is still
    alive after 8 s). Now every socket is told without waiting and the worker exits at once."""
    import shutil

    from tests.servers import LiveServer

    db_path = tmp_path / "db.sqlite"
    shutil.copy(sqlite_template, db_path)
    server = LiveServer(f"sqlite:///{db_path}", tmp_path, env={"SOCKET_SEND_QUEUE_BYTES": "0"}).start()
    frozen = None
    try:
        job, people = job_with_people(server)
        frozen = _frozen_reader(server.port, people["client"]["token"], job["id"])
        for n in range(400):  # ~7 MB of events (body and HTML) for a client that reads nothing: more than
            # the kernel buffers between them (the server's send buffer grows to 4 MB), so its writer blocks
            server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"],
                       {"body": f"{n} " + "x" * 9000}, status=201)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(8) == 0
        assert time.monotonic() - started < 3
    finally:
        if frozen is not None:
            frozen.close()
        server.stop()
