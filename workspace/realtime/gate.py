"""The one decorator every socket action goes through: who, may they, is the payload sane, how often."""
from __future__ import annotations

import logging
from functools import wraps
from typing import Any, Callable

from flask import current_app, session

from workspace import metrics
from workspace.db import database_unavailable
from workspace.domain.errors import Busy, DomainError, Invalid, Unauthorized
from workspace.extensions import db
from workspace.models import User
from workspace.services import accounts
from workspace.services.access import load_member, require
from workspace.action_limits import take_slot
from workspace.validation import check_json

log = logging.getLogger(__name__)

TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "an object", bool: "true or false"}


# (event, handler) pairs, bound to the Socket.IO server of each app in realtime.init_app (binding at
# import time would tie them to whichever server existed first).
HANDLERS: list[tuple[str, Callable[..., Any]]] = []


def on(event: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a plain handler (connect, disconnect) for every app's server."""
    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        HANDLERS.append((event, handler))
        return handler
    return register


def socket_user() -> User:
    """The socket's user, re-checked on every action: a revoked login or token stops here."""
    user_id = session.get("socket_user_id")
    user = None
    if user_id is not None and session.get("lsid"):
        user = accounts.user_for_login_session(user_id, session["lsid"])
    elif user_id is not None and session.get("token_id"):
        user = accounts.user_for_token_id(user_id, session["token_id"])
    if user is None:
        raise Unauthorized("Your session has ended. Log in again.")
    return user


def check_payload(payload: Any, spec: dict[str, tuple[type, bool]]) -> dict[str, Any]:
    """Shallow shape check: a JSON object whose named fields have the right types."""
    if not isinstance(payload, dict):
        raise Invalid("The payload must be an object.")
    check_json(payload, "payload")
    errors = {}
    for name, (kind, required) in spec.items():
        value = payload.get(name)
        if value is None:
            if required:
                errors[name] = "Required."
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            errors[name] = f"Must be {TYPE_NAMES.get(kind, kind.__name__)}."
    if errors:
        raise Invalid("Some fields are missing or of the wrong type.", fields=errors)
    return payload


def error_ack(exc: DomainError) -> dict[str, Any]:
    metrics.refused(exc.code)
    return {"ok": False, "error": exc.as_dict()}


def action(name: str, spec: dict[str, tuple[type, bool]], permission: str | None = None) -> Callable[..., Any]:
    """Register a socket action: login, payload shape, rate limit, membership and role, errors as acks."""
    def decorate(handler: Callable[[User, dict[str, Any], Any], dict[str, Any] | None]) -> Callable[..., Any]:
        @wraps(handler)
        def run(payload: Any = None, *_extra: Any) -> dict[str, Any]:
            try:
                user = socket_user()
                data = check_payload(payload, spec)
                take_slot(name, user.id, current_app.config)
                membership = None
                if permission is not None:
                    _job, membership = load_member(db.session, user, data["job"])
                    require(membership, permission)
                result = handler(user, data, membership) or {}
                return {"ok": True, **result}
            except DomainError as exc:
                return error_ack(exc)
            except Exception as exc:  # noqa: BLE001 - a socket action never crashes the connection
                db.session.rollback()
                if database_unavailable(exc):
                    db.session.remove()
                    return error_ack(Busy("The database is not answering right now; nothing was changed. "
                                          "Try again in a moment."))
                log.exception("socket action %s failed", name)
                metrics.refused("internal")
                return {"ok": False, "error": {"code": "internal", "message": "Something went wrong; nothing was changed."}}
        HANDLERS.append((name, run))
        return run
    return decorate
