"""A lighter Flask request context for each Socket.IO event.

Flask-SocketIO pushes `app.request_context(environ)` for every event a socket sends, with the
environ of its Engine.IO connection. A full request context then opens the cookie session (an
HMAC check of the cookie) and runs the URL matcher on `/socket.io/` (which raises and keeps a
NotFound) on every event, about a tenth of a join's CPU. Neither is used: Flask-SocketIO
replaces the session with the socket's own copy (`saved_session`, made at connect), and no event
has a URL rule. So once the socket has its copy, the context starts from it; every Socket.IO
context (the connect's too) skips the matcher; `url_for` still works: the URL adapter is made when
first used (binding it reads the host, checks it against TRUSTED_HOSTS and IDNA-encodes it, ~3 % of
a posted message's CPU, and no event handler builds a URL).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from flask.ctx import RequestContext

SOCKET_PATH = "/socket.io"


class SocketEventContext(RequestContext):
    def match_request(self) -> None:
        """No URL rule for a Socket.IO event: `request.url_rule` stays None."""


class LazyUrlAdapter:
    """Werkzeug's MapAdapter, bound when an attribute is first asked for (`url_for` asks for `build`)."""

    __slots__ = ("_make", "_adapter")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._adapter: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._adapter is None:
            self._adapter = self._make()
        return getattr(self._adapter, name)


class WorkspaceFlask(Flask):
    def create_url_adapter(self, request: Any) -> Any:
        if request is not None and request.environ.get("PATH_INFO", "").startswith(SOCKET_PATH):
            return LazyUrlAdapter(lambda: super(WorkspaceFlask, self).create_url_adapter(request))
        return super().create_url_adapter(request)

    def request_context(self, environ: dict[str, Any]) -> RequestContext:  # type: ignore[override]
        if environ.get("PATH_INFO", "").startswith(SOCKET_PATH):
            # The connect itself has no copy yet: its context opens the cookie session as usual.
            return SocketEventContext(self, environ, session=environ.get("saved_session"))
        return super().request_context(environ)
