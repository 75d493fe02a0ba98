"""A Socket.IO event's request context: no URL matching, its URL adapter bound only when used."""
from __future__ import annotations

from flask import url_for

from workspace.realtime.event_context import LazyUrlAdapter


def test_a_socket_events_context_builds_urls_when_asked_and_binds_nothing_before(app):
    environ = {"PATH_INFO": "/socket.io/", "REQUEST_METHOD": "GET", "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "HTTP_HOST": "localhost"}
    with app.request_context(environ) as ctx:
        assert isinstance(ctx.url_adapter, LazyUrlAdapter) and ctx.url_adapter._adapter is None
        assert ctx.request.url_rule is None
        assert url_for("auth.login") == "/login"
        assert ctx.url_adapter._adapter is not None
    with app.test_request_context("/login") as ctx:  # a page's request: the adapter as Flask makes it
        assert not isinstance(ctx.url_adapter, LazyUrlAdapter) and ctx.request.url_rule is not None
