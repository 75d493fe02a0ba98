"""Socket.IO edge: connect gate, join/resume, thin action handlers; broadcast is the leaf."""
from __future__ import annotations

from flask import Flask

from workspace.extensions import db, socketio
from workspace.realtime.broadcast import SocketPublisher
from workspace.realtime.control import make_manager


def init_app(app: Flask) -> None:
    config = app.config
    socketio.init_app(
        app,
        async_mode=config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=config["CORS_ALLOWED_ORIGINS"],
        client_manager=make_manager(config["REDIS_URL"]),
        max_http_buffer_size=config.get("SOCKET_MAX_MESSAGE_BYTES", 1_000_000),
        ping_interval=config.get("SOCKET_PING_INTERVAL", 25),
        ping_timeout=config.get("SOCKET_PING_TIMEOUT", 20),
    )
    db.publisher = SocketPublisher()
    from workspace.realtime import handlers  # noqa: F401  (registers the handlers)
