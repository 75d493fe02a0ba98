"""A client that stops reading costs the server a bounded amount (workspace/realtime/send_queue.py):
its send queue is capped, then the socket is closed; a client that stops answering pings (half-open)
is reaped by the ping timeout. The clients here speak WebSocket by hand on a plain TCP socket with a
small receive buffer, so that "stops reading" really is a full TCP window. Controls: with the cap
off the same client's queue keeps growing and its socket stays; a client that reads stays open."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import LiveServer
from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime

CAP = 256 * 1024
BIG_BODY = "Long update. " + "x" * 9000  # ~9 KB body, ~18 KB on the wire once rendered


class RawSocket:
    """Engine.IO v4 / Socket.IO v5 over a hand-written WebSocket client (no library, no reader thread)."""

    def __init__(self, port: int, token: str, *, rcvbuf: int = 4096) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window stays small
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = b""
        self.next_id = 1
        opened = self.recv_text()
        assert opened.startswith("0{"), opened
        self.send_text("40" + json.dumps({"token": token}))
        while not (frame := self.recv_text()).startswith("40"):
            assert not frame.startswith("44"), frame

    def send_text(self, text: str) -> None:
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else
                                  bytes([0x80 | 126]) + struct.pack("!H", n) if n < 65536 else
                                  bytes([0x80 | 127]) + struct.pack("!Q", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed by the server")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def recv_text(self) -> str:
        """The next text frame, answering Engine.IO pings on the way."""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if b0 & 0x0F == 0x8:
                raise EOFError("close frame")
            text = payload.decode()
            if text == "2":
                self.send_text("3")
                continue
            return text

    def call(self, event: str, data: Any) -> Any:
        ack_id = self.next_id
        self.next_id += 1
        self.send_text(f"42{ack_id}" + json.dumps([event, data]))
        while not (frame := self.recv_text()).startswith(f"43{ack_id}"):
            pass
        return json.loads(frame[len(f"43{ack_id}"):])[0]

    def drain_until_closed(self, timeout: float) -> bool:
        """Read everything; True once the server has closed the connection."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(1 << 20):
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


def serve_with(tmp_path: Path, sqlite_template: Path, **config: Any) -> LiveServer:
    """A live worker whose instance config.py sets `config` (the realtime keys have no environment names)."""
    shutil.copy(sqlite_template, tmp_path / "live.db")
    (tmp_path / "config.py").write_text("".join(f"{k} = {v!r}\n" for k, v in config.items()))
    return LiveServer(f"sqlite:///{tmp_path / 'live.db'}", tmp_path).start()


def figures(server: LiveServer) -> dict[str, float]:
    text = requests.get(server.url + "/metrics", timeout=10).text
    return {name: float(value) for name, value in re.findall(r"^(workspace_\w+) (\S+)$", text, re.MULTILINE)}


def rss_kib(server: LiveServer) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))


def flood_a_stalled_reader(server: LiveServer, *, messages: int, stop_at_bytes: float | None) -> dict[str, Any]:
    """A raw client joins a room and stops reading; the room gets big messages; what did the server keep?"""
    job, people = job_with_people(server)
    reader = Watcher(server, people["client"]).connect()  # a client that keeps reading, in the same room
    stalled = RawSocket(server.port, people["viewer"]["token"])
    try:
        assert reader.join(job["id"])["ok"]
        assert stalled.call("join", {"job": job["id"], "after": 0})["ok"]
        connected = figures(server)["workspace_sockets_connected"]
        rss0 = rss_kib(server)
        peak = {"bytes": 0.0, "packets": 0.0}
        posted = 0
        for n in range(messages):
            server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"{n} {BIG_BODY}"},
                       status=201)
            posted += 1
            if n % 10 == 9:
                now = figures(server)
                peak["bytes"] = max(peak["bytes"], now["workspace_send_queue_bytes_max"])
                peak["packets"] = max(peak["packets"], now["workspace_send_queue_packets_max"])
                if now["workspace_sockets_closed_unread_total"] or (stop_at_bytes and peak["bytes"] > stop_at_bytes):
                    break
        assert reader.wait_for(lambda: len(reader.seqs(job["id"])) >= posted, timeout=20), "the reading client lags"
        after = figures(server)
        print(f"posted {posted}: peak queue {peak}, RSS +{rss_kib(server) - rss0} KiB, closed "
              f"{after['workspace_sockets_closed_unread_total']:.0f}")  # shown with -s
        return {"peak": peak, "after": after, "connected_before": connected, "posted": posted,
                "rss_growth_kib": rss_kib(server) - rss0, "reader_connected": reader.client.connected,
                "stalled": stalled, "reader": reader}
    except BaseException:
        stalled.close()
        reader.close()
        raise


def test_a_client_that_stops_reading_is_cut_off_at_the_cap(tmp_path, sqlite_template):
    server = serve_with(tmp_path, sqlite_template, SOCKET_SEND_QUEUE_BYTES=CAP)
    try:
        seen = flood_a_stalled_reader(server, messages=600, stop_at_bytes=None)
        try:
            after = seen["after"]
            assert after["workspace_sockets_closed_unread_total"] == 1, seen
            # Bounded: what the server held for it never passed the cap plus one message.
            assert seen["peak"]["bytes"] <= CAP + 64 * 1024, seen
            # The connection is really closed (the client reads what was in flight, then end of stream) ...
            assert seen["stalled"].drain_until_closed(timeout=20)
            # ... and its Engine.IO socket is gone from the worker; the reading client was not touched.
            assert after["workspace_send_queue_bytes_max"] < CAP
            assert after["workspace_sockets_connected"] == seen["connected_before"] - 1
            assert seen["reader_connected"]
        finally:
            seen["stalled"].close()
            seen["reader"].close()
        assert "Traceback" not in server.log(), server.log()
    finally:
        server.stop()


def test_control_without_the_cap_the_queue_keeps_growing(tmp_path, sqlite_template):
    server = serve_with(tmp_path, sqlite_template, SOCKET_SEND_QUEUE_BYTES=0)
    try:
        seen = flood_a_stalled_reader(server, messages=600, stop_at_bytes=4 * CAP)
        try:
            after = seen["after"]
            assert seen["peak"]["bytes"] > 4 * CAP, seen  # well past where the cap would have closed it
            assert after["workspace_sockets_closed_unread_total"] == 0
            assert after["workspace_sockets_connected"] == seen["connected_before"]  # still held open
        finally:
            seen["stalled"].close()
            seen["reader"].close()
    finally:
        server.stop()


def test_a_half_open_socket_is_reaped_by_the_ping_timeout(tmp_path, sqlite_template):
    # Short, but with room for a busy machine: the answering client has 3 s to send its pong.
    server = serve_with(tmp_path, sqlite_template, SOCKET_PING_INTERVAL=1, SOCKET_PING_TIMEOUT=3)
    try:
        job, people = job_with_people(server)
        silent = RawSocket(server.port, people["viewer"]["token"])  # never reads again, so never answers a ping
        answering = RawSocket(server.port, people["client"]["token"])
        alive = threading.Event()
        alive.set()
        try:
            assert silent.call("join", {"job": job["id"], "after": 0})["ok"]
            assert answering.call("join", {"job": job["id"], "after": 0})["ok"]

            def keep_reading() -> None:  # the control: same server, same settings, answers its pings
                try:
                    while True:
                        answering.recv_text()
                except (EOFError, OSError):
                    alive.clear()

            threading.Thread(target=keep_reading, daemon=True).start()
            assert figures(server)["workspace_sockets_connected"] == 2
            deadline = time.monotonic() + 20
            while figures(server)["workspace_sockets_connected"] > 1 and time.monotonic() < deadline:
                time.sleep(0.25)
            assert figures(server)["workspace_sockets_connected"] == 1, server.log()
            assert silent.drain_until_closed(timeout=10)  # the server closed the connection itself
            time.sleep(3)  # more ping rounds
            assert alive.is_set() and figures(server)["workspace_sockets_connected"] == 1
        finally:
            silent.close()
            answering.close()
    finally:
        server.stop()
