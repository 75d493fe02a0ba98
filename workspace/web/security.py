"""Who is asking (cookie session or Bearer token), CSRF for cookie requests, cookies and headers."""
from __future__ import annotations

import weakref
from typing import Any, Callable, TypeVar

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from workspace.domain.errors import Unauthorized
from workspace.extensions import csrf, login_manager
from workspace.services import accounts
from workspace.validation import check_form
from workspace.web.http import bearer_token, is_api

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

F = TypeVar("F", bound=Callable[..., Any])


def cookie_free(view: F) -> F:
    """Mark an endpoint that never relies on the session cookie (so CSRF does not apply)."""
    view.cookie_free = True  # type: ignore[attr-defined]
    return view


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS. The signing serializer is
    made once per app and keys (Flask makes one per request, and per socket connect: ~20 us each)."""

    def __init__(self) -> None:
        self._serializers: weakref.WeakKeyDictionary[Flask, tuple[Any, Any]] = weakref.WeakKeyDictionary()

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = self._serializers.get(app)
        if made is None or made[0] != keys:
            made = (keys, super().get_signing_serializer(app))
            self._serializers[app] = made
        return made[1]


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.user_loader(_load_session_user)
    login_manager.request_loader(_load_token_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_head_is_get)
    app.before_request(_check_text_fields)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)


def _load_session_user(user_id: str) -> Any:
    # A request with a Bearer token is judged by the token alone, never by a cookie beside it.
    if bearer_token() is not None:
        return None
    login_session = session.get("lsid")
    if not login_session or not user_id.isdigit():
        return None
    user = accounts.user_for_login_session(int(user_id), login_session)
    if user is None:
        g.login_ended = True  # a session this browser had was ended elsewhere: _unauthorized says so
    return user


def _load_token_user(_request: Any) -> Any:
    raw = bearer_token()
    return accounts.user_for_api_token(raw) if raw else None


LOGIN_ENDED = ("You were signed out: your password was changed, or this account was signed out everywhere. "
               "Log in again.")


def _unauthorized() -> Any:
    if is_api():
        raise Unauthorized("Sign in or send an API token (Authorization: Bearer ...).")
    if g.pop("login_ended", False):  # said once: the ended session's keys go with it
        for key in ("_user_id", "lsid", "_fresh", "_id"):
            session.pop(key, None)
        flash(LOGIN_ENDED, "info")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _head_is_get() -> None:
    """HEAD is GET without the body: a view that branches on "GET or else a submission" must never
    treat a HEAD (which skips the CSRF check) as a form post."""
    if request.method == "HEAD":
        request.method = "GET"


def _check_text_fields() -> None:
    """Form fields and query strings follow the JSON text rules (no NUL, no lone surrogates)."""
    check_form(request.args)
    if request.method in UNSAFE_METHODS and request.mimetype in ("application/x-www-form-urlencoded",
                                                                  "multipart/form-data"):
        check_form(request.form)


def _check_csrf() -> None:
    """CSRF on every form, and on JSON that rides on the session cookie (not on Bearer calls)."""
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "cookie_free", False):
        return
    if is_api() and "_user_id" not in session:
        return  # not cookie-authenticated: the route answers 401, or needs no session at all
    csrf.protect()


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")  # invite tokens live in URLs
    response.headers.setdefault("X-Frame-Options", "DENY")
    if is_api() or (response.mimetype == "text/html" and current_user.is_authenticated):
        # Signed-in pages embed private state (the room carries the whole job): never cached.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
