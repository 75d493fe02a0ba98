"""A cap on what the server holds for a socket that does not read, and prompt reaping of dead ones.

python-engineio gives every socket an unbounded send queue (`Socket.queue`): a room's broadcast puts
one packet in each member's queue and a writer green thread per socket takes them out and writes
them with eventlet's websocket `send`, which blocks while the peer's TCP window is full. A client
that stops reading (a frozen tab, a stalled phone, a hostile client) therefore makes the server keep
every later packet for it in memory until the ping timeout notices -- and a client that still
answers pings while reading slowly is never noticed. Here:

- Each socket counts the bytes waiting in its queue (added in `send`, taken off when the writer or a
  polling request takes them out). When a socket already has `SOCKET_SEND_QUEUE_BYTES` (1 MiB) or
  `SOCKET_SEND_QUEUE_PACKETS` (2,000) waiting, the next packet is not queued: the socket is closed
  (its TCP connection shut down, so the blocked writer fails at once and the disconnect handlers
  run). The client reconnects and resumes from its last event (`join {job, after}`), as after any
  drop. What one socket can hold is thus bounded: the queue's cap plus the batch its writer took
  out just before it blocked (itself under the cap), so at most about twice the cap.
- A socket whose ping goes unanswered (`ping_interval + ping_timeout`, a half-open connection) is
  closed by Engine.IO; its TCP connection is shut down too, so a writer blocked on a peer that is
  gone does not hold the socket for another socket timeout (up to `ping_interval + ping_timeout`).
- /metrics: `workspace_send_queue_bytes_max` / `_packets_max` (the fullest queue now) and
  `workspace_sockets_closed_unread_total` (sockets closed by the cap).

`SOCKET_SEND_QUEUE_BYTES = 0` turns the cap off (the counting and the gauges stay).
Installed once per process by `install(config)` (from workspace.green.serve).
"""
from __future__ import annotations

import logging
import socket as _socket
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1 << 20
DEFAULT_MAX_PACKETS = 2000
LIMITS = {"bytes": DEFAULT_MAX_BYTES, "packets": DEFAULT_MAX_PACKETS}
CLOSED = {"unread": 0}
_installed: dict[str, Any] = {}


def _size(pkt: Any) -> int:
    data = getattr(pkt, "data", None)
    if isinstance(data, (str, bytes, bytearray)):
        return len(data) + 1
    return 64 if data is not None else 1


def _shutdown(sock: Any) -> bool:
    """Shut the socket's TCP connection down (both ways); False when it has none (polling)."""
    ws = getattr(sock, "_ws_transport", None)
    raw = getattr(ws, "socket", None)
    if raw is None:
        return False
    try:
        raw.shutdown(_socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def _overflow(sock: Any, queued: int) -> None:
    sock._send_overflowed = True
    CLOSED["unread"] += 1
    if "closed_counter" in _installed:
        _installed["closed_counter"].inc()
    log.warning("socket %s is not reading: %d bytes in %d packets waiting; closing it", sock.sid, queued,
                sock.queue.qsize())
    if not _shutdown(sock):  # long-polling: no connection to cut, close the Engine.IO socket itself
        sock.server.start_background_task(sock.close, wait=False, abort=True)


def queued_sockets(server: Any) -> list[Any]:
    return list(getattr(server, "sockets", {}).values())


def close_all(server: Any) -> None:
    """Tell every socket to go without waiting for its writer (`engineio.Server.disconnect()` waits
    for each socket's queue to drain, one after the other: a socket whose client stopped reading, or
    whose writer already ended, made a stopping worker wait for ever)."""
    for sock in queued_sockets(server):
        sock.close(wait=False, reason=server.reason.SERVER_DISCONNECT)
    server.sockets = {}


def install(config: Any) -> None:
    """Patch python-engineio's Socket once (the cap's figures are read from config every call)."""
    LIMITS["bytes"] = int(config.get("SOCKET_SEND_QUEUE_BYTES", DEFAULT_MAX_BYTES) or 0)
    LIMITS["packets"] = int(config.get("SOCKET_SEND_QUEUE_PACKETS", DEFAULT_MAX_PACKETS) or 0)
    if _installed:
        return
    from engineio import socket as eio_socket

    cls = eio_socket.Socket
    send, poll, handler, check = cls.send, cls.poll, cls._websocket_handler, cls.check_ping_timeout
    _installed.update(send=send, poll=poll, handler=handler, check=check)

    def capped_send(self: Any, pkt: Any) -> None:
        if getattr(self, "_send_overflowed", False):
            return  # being closed for not reading: nothing more is kept for it
        queued = getattr(self, "_queued_bytes", 0)
        max_bytes, max_packets = LIMITS["bytes"], LIMITS["packets"]
        if max_bytes and not self.closed and (queued >= max_bytes or (max_packets and self.queue.qsize() >= max_packets)):
            _overflow(self, queued)
            return
        self._queued_bytes = queued + _size(pkt)
        send(self, pkt)

    def counted_poll(self: Any) -> Any:
        packets = poll(self)
        if packets:
            self._queued_bytes = max(0, getattr(self, "_queued_bytes", 0) - sum(_size(p) for p in packets))
        return packets

    def remembered_handler(self: Any, ws: Any) -> Any:
        self._ws_transport = ws  # the connection to cut when the socket must go
        try:
            return handler(self, ws)
        finally:
            self._ws_transport = None

    def reaping_check(self: Any) -> bool:
        alive = check(self)
        if not alive:
            _shutdown(self)  # a half-open peer: do not wait for the blocked writer's socket timeout
        return bool(alive)

    cls.send = capped_send
    cls.poll = counted_poll
    cls._websocket_handler = remembered_handler
    cls.check_ping_timeout = reaping_check
    _register_metrics()


def _register_metrics() -> None:
    from prometheus_client import Counter, Gauge

    from workspace.metrics import REGISTRY

    def fullest(attr: str) -> float:
        from workspace.extensions import socketio

        server = getattr(socketio.server, "eio", None) if socketio.server else None
        values = [(getattr(s, "_queued_bytes", 0) if attr == "bytes" else s.queue.qsize())
                  for s in queued_sockets(server)]
        return float(max(values, default=0))

    Gauge("workspace_send_queue_bytes_max", "Bytes waiting in the fullest socket send queue of this worker",
          registry=REGISTRY).set_function(lambda: fullest("bytes"))
    Gauge("workspace_send_queue_packets_max", "Packets waiting in the fullest socket send queue of this worker",
          registry=REGISTRY).set_function(lambda: fullest("packets"))
    _installed["closed_counter"] = Counter("workspace_sockets_closed_unread",
                                           "Sockets closed because their send queue hit the cap", registry=REGISTRY)
