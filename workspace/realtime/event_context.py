"""A lighter Flask request context for each Socket.IO event.

Flask-SocketIO pushes `app.request_context(environ)` for every event a socket sends, with the
environ of its Engine.IO connection. A full request context then opens the cookie session (an
HMAC check of the cookie) and runs the URL matcher on `/socket.io/` (which raises and keeps a
NotFound) on every event, about a tenth of a join's CPU. Neither is used: Flask-SocketIO
replaces the session with the socket's own copy (`saved_session`, made at connect), and no event
has a URL rule. So once the socket has its copy, the context starts from it; every Socket.IO
context (the connect's too) skips the matcher; `url_for` still works (the URL adapter is made as
before).
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask.ctx import RequestContext

SOCKET_PATH = "/socket.io"


class SocketEventContext(RequestContext):
    def match_request(self) -> None:
        """No URL rule for a Socket.IO event: `request.url_rule` stays None."""


class WorkspaceFlask(Flask):
    def request_context(self, environ: dict[str, Any]) -> RequestContext:  # type: ignore[override]
        if environ.get("PATH_INFO", "").startswith(SOCKET_PATH):
            # The connect itself has no copy yet: its context opens the cookie session as usual.
            return SocketEventContext(self, environ, session=environ.get("saved_session"))
        return super().request_context(environ)
