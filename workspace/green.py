"""The one place that knows about eventlet: run blocking C work off the hub when it is running."""
from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def eventlet_active() -> bool:
    """True when the process runs on eventlet's hub (monkey-patched sockets)."""
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is a dependency
        return False
    return bool(patcher.is_monkey_patched("socket"))


def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Call fn in a real OS thread under eventlet (so other connections keep flowing)."""
    if eventlet_active():
        from eventlet import tpool

        return tpool.execute(fn, *args)
    return fn(*args)


def bounded(limit: int) -> threading.BoundedSemaphore:
    """A semaphore capping concurrent blocking jobs (green-aware once eventlet patches threading)."""
    return threading.BoundedSemaphore(limit)


def serve(app: Any, host: str, port: int, *, max_size: int, log_output: bool) -> None:
    """Serve the app (with its Socket.IO middleware) on eventlet, or on the threading fallback.

    TCP_NODELAY on the listening socket (inherited by accepted ones on Linux): without it, an ack
    written right after another small frame (e.g. `join` answers after `presence`) waits ~40 ms for
    the peer's delayed ACK (Nagle's algorithm).
    """
    if not eventlet_active():
        from workspace.extensions import socketio

        socketio.run(app, host=host, port=port, log_output=log_output, allow_unsafe_werkzeug=True)
        return
    import socket

    import eventlet
    import eventlet.wsgi

    listener = eventlet.listen((host, port), backlog=1024)  # a reconnect wave must not queue at 50
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, app, log_output=log_output, max_size=max_size)
