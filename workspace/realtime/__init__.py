"""Socket.IO edge: connect gate, join/resume, thin action handlers; broadcast is the leaf."""
from __future__ import annotations

from flask import Flask

from workspace.extensions import db, socketio
from workspace.realtime.broadcast import SocketPublisher
from workspace.realtime.control import ControlManager, make_manager
from workspace.realtime.nodeflate import refuse_compression
from workspace.realtime.packets import REFUSED_EVENT, refused_event
from workspace.realtime.packets import install as install_packet_check
from workspace.realtime.presence import presence


def init_app(app: Flask) -> None:
    config = app.config
    socketio.init_app(
        app,
        async_mode=config["SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=config["CORS_ALLOWED_ORIGINS"],
        client_manager=make_manager(config["REDIS_URL"], config["REDIS_NAMESPACE"]),
        max_http_buffer_size=config.get("SOCKET_MAX_MESSAGE_BYTES", 1_000_000),
        ping_interval=config.get("SOCKET_PING_INTERVAL", 25),
        ping_timeout=config.get("SOCKET_PING_TIMEOUT", 20),
    )
    if not config["WEBSOCKET_COMPRESSION"]:
        app.wsgi_app = refuse_compression(app.wsgi_app)  # type: ignore[method-assign]
    db.publisher = SocketPublisher()
    install_packet_check()
    presence.init_app(app)
    from workspace.realtime import handlers

    handlers.PRESENCE_COALESCE["seconds"] = config["PRESENCE_COALESCE"]
    from workspace.realtime.gate import HANDLERS

    for event, handler in HANDLERS:
        socketio.on_event(event, handler)
    socketio.on_event(REFUSED_EVENT, refused_event)
    if handlers.forget_socket_in_room not in ControlManager.leave_hooks:
        ControlManager.leave_hooks.append(handlers.forget_socket_in_room)
