"""The one place that knows about eventlet: run blocking C work off the hub when it is running."""
from __future__ import annotations

import gc
import sys
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def eventlet_active() -> bool:
    """True when the process runs on eventlet's hub (monkey-patched sockets). Never imports eventlet:
    a process that did not patch itself has not imported it, and importing it beside running threads
    confuses `threading`'s bookkeeping (a finished thread still `is_alive()`)."""
    patcher = sys.modules.get("eventlet.patcher")
    return patcher is not None and bool(patcher.is_monkey_patched("socket"))


def others_due() -> bool:
    """Another green thread is due to run on this hub turn (one a read just woke, say): yielding now
    lets it act first. Without eventlet, threads run on their own: always True."""
    if not eventlet_active():
        return True
    from eventlet import hubs

    hub = hubs.get_hub()
    if hub.next_timers:
        return True
    timers = hub.timers
    return bool(timers) and timers[0][0] <= hub.clock()


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
    from workspace.realtime import send_queue

    send_queue.install(app.config)  # a socket that stops reading is closed, not buffered for without end
    if not eventlet_active():
        from workspace.extensions import socketio

        socketio.run(app, host=host, port=port, log_output=log_output, allow_unsafe_werkzeug=True)
        return
    import socket

    import eventlet
    import eventlet.wsgi

    from workspace import wal_checkpoint
    from workspace.extensions import db

    if db.engine is not None:
        wal_checkpoint.start(db.engine)  # SQLite: the log's checkpoints off the hub
    listener = eventlet.listen((host, port), backlog=1024)  # a reconnect wave must not queue at 50
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    install_graceful_stop()
    settle_the_heap()
    eventlet.wsgi.server(listener, app, log_output=log_output, max_size=max_size)


def settle_the_heap() -> None:
    """Keep the garbage collector's full passes short: everything loaded at start (modules, the app,
    the mapped classes) lives as long as the process, so it is frozen out of the collector's view.
    Without this a full pass walked it all, stopping the one hub for 45-120 ms now and then: that was
    the p99 of live delivery (bench/README.md)."""
    gc.collect()
    gc.freeze()


def install_graceful_stop() -> None:
    """SIGTERM stops the worker gently: every socket is told to go (its client reconnects to another
    worker and resumes from its last event), the accept loop ends (no new connections), and the
    server waits for the requests in flight before `serve` returns and the process exits (eventlet
    shuts the WebSocket connections then: they count as idle).

    Sockets are told without waiting for each one's queue to drain (`send_queue.close_all`): a client
    that stopped reading used to hold the whole drain, and the worker, until it was killed."""
    import logging
    import signal

    import eventlet
    import greenlet
    from eventlet import hubs

    draining = threading.Event()
    server_loop = greenlet.getcurrent()  # the greenlet about to run the accept loop

    def drain() -> None:
        from workspace.extensions import socketio
        from workspace.realtime import send_queue

        logging.getLogger(__name__).warning("SIGTERM: draining (sockets told to reconnect elsewhere)")
        send_queue.close_all(socketio.server.eio)
        # The accept loop ends on SystemExit and then waits for every request in flight.
        hubs.get_hub().schedule_call_global(0, server_loop.throw, SystemExit)

    def on_term(*_args: Any) -> None:
        if not draining.is_set():
            draining.set()
            eventlet.spawn_n(drain)

    signal.signal(signal.SIGTERM, on_term)
    _wake_the_hub_on_signals()


def _wake_the_hub_on_signals() -> None:
    """Run a signal's work at once, not when the hub's next timer is due.

    The hub sleeps in epoll until its next timer; a signal interrupts that, Python runs the handler (which
    only schedules the drain) and then retries the wait for the time that was left (PEP 475), so the drain
    waited seconds. With a wakeup fd the signal also makes a pipe readable: the wait returns at once and
    the scheduled work runs."""
    import os
    import signal

    import eventlet
    from eventlet.hubs import trampoline

    readable, writable = os.pipe()
    os.set_blocking(readable, False)
    os.set_blocking(writable, False)
    signal.set_wakeup_fd(writable)

    def drain_pipe() -> None:
        while True:
            trampoline(readable, read=True)
            try:
                os.read(readable, 512)
            except BlockingIOError:
                pass

    eventlet.spawn_n(drain_pipe)
