"""WSGI middleware refusing WebSocket compression (eventlet accepts any offer and has no switch).

Dropping the client's `Sec-WebSocket-Extensions` offer before the handshake means the server never
agrees to permessage-deflate; browsers then talk uncompressed, as Node's engine.io does by default.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def refuse_compression(app: WSGIApp) -> WSGIApp:
    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return app(environ, start_response)
    return middleware
