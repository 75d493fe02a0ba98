"""The one decorator every socket action goes through: who, may they, is the payload sane, how often."""
from __future__ import annotations

import logging
from functools import wraps
from typing import Any, Callable

from flask import current_app, g, has_app_context, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session, attributes

from workspace import metrics
from workspace.db import RECORD_GUARDS, GuardRefused, database_unavailable
from workspace.domain.errors import Busy, Conflict, DomainError, Invalid, Unauthorized
from workspace.extensions import db, socketio
from workspace.models import Membership, User
from workspace.realtime.control import CONTROL_EVENT, ControlManager
from workspace.realtime.rooms import SocketAuth, socket_auths
from workspace.services import accounts
from workspace.services.access import Seat, load_member, load_seat, require, still_signed_in
from workspace.action_limits import take_slot
from workspace.realtime.packets import TooDeep
from workspace.validation import TOO_DEEP, check_json

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


SESSION_ENDED = "Your session has ended. Log in again."


def socket_user() -> User:
    """The socket's user, checked against the database: its login session or token must be live."""
    user_id = session.get("socket_user_id")
    user = None
    if user_id is not None and session.get("lsid"):
        user = accounts.user_for_login_session(user_id, session["lsid"])
    elif user_id is not None and session.get("token_id"):
        user = accounts.user_for_token_id(user_id, session["token_id"])
    if user is None:
        raise Unauthorized(SESSION_ENDED)
    return user


# ---------------------------------------------------------------- what a socket may do, kept in memory
#
# At connect the socket's user and credential are kept (rooms.socket_auths); the first action in a job
# loads and keeps the membership (a Seat). Later actions read neither from the database. What changes
# them is pushed to the socket instead, on every worker, through the control channel:
# - a revoked login session or token, a password reset: the socket is disconnected (login:/token: rooms);
# - a removed member, a changed role, a changed user row: `forget` (below, after commit), so the next
#   action loads them again; a removed member's sockets also leave the job's room.
# And what a socket writes is authorized by the statement that writes it: every event it records checks
# in SQL that its login or token is still live (RECORD_GUARDS, below), and posting a message checks the
# membership and role the same way (`still_may`), so a change still in flight to this worker cannot
# let a write through.

def _kept(user: User) -> User:
    """A copy of the user row that belongs to no session (a rollback elsewhere cannot expire it);
    a row that never belonged to one (`access.socket_token` builds it so) is kept as it is."""
    state = attributes.instance_state(user)
    if state.transient and not state.expired_attributes:
        return user
    columns = state.mapper.column_attrs
    return User(**{c.key: getattr(user, c.key) for c in columns})


def remember(sid: str, user: User, login_session: str | None, token_id: int | None) -> None:
    """Called at connect, once the credential was checked."""
    socket_auths.put(sid, SocketAuth(_kept(user), login_session, token_id))


def _socket_auth() -> SocketAuth:
    """The socket's user and credential; reloaded (and its credential checked) after a pushed change."""
    auth = socket_auths.get(request.sid)
    if auth is None:  # connected before this worker kept them (cannot happen after a clean connect)
        user = _kept(socket_user())
        auth = SocketAuth(user, session.get("lsid") or None, session.get("token_id"))
        socket_auths.put(request.sid, auth)
    if auth.user is None:
        generation = auth.generation
        user = _kept(socket_user())
        if auth.generation == generation:
            auth.user = user
        return SocketAuth(user, auth.login_session, auth.token_id, auth.seats, auth.generation)
    return auth


def _seat(auth: SocketAuth, job: Any) -> Seat:
    """The socket's membership of `job`: kept since its first action there, or loaded (and kept)."""
    seat = auth.seats.get(job) if isinstance(job, str) else None
    if seat is None:
        generation = auth.generation
        seat = load_seat(auth.user, job)
        if auth.generation == generation:
            auth.seats[job] = seat
    return seat


def _refused_why(auth: SocketAuth, job: Any, permission: str | None) -> DomainError:
    """A write's guard failed: forget what the socket kept and say what changed (from the database)."""
    socket_auths.forget(request.sid, user=True, job=job if isinstance(job, str) else None)
    db.session.rollback()
    try:
        user = socket_user()
        if permission is not None:
            _job, membership = load_member(db.session, user, job)
            require(membership, permission)
    except DomainError as exc:
        return exc
    return Conflict("Something changed while you acted; nothing was done. Try again.", code="retry")


def _socket_guard(job: Any) -> Any:
    """RECORD_GUARDS: an event recorded by a socket action is written only while the socket's login
    session or token is live (checked by the statement that allocates its seq)."""
    if not has_app_context():
        return None
    acting = g.get("socket_acting")
    return still_signed_in(*acting) if acting is not None else None


if _socket_guard not in RECORD_GUARDS:
    RECORD_GUARDS.append(_socket_guard)


def _forget_pushed(sid: str, data: dict[str, Any]) -> None:
    socket_auths.forget(sid, job_pk=data.get("job_pk"), user=bool(data.get("user")))


if _forget_pushed not in ControlManager.forget_hooks:
    ControlManager.forget_hooks.append(_forget_pushed)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    """Changes to what a socket may do, noted as they are flushed and pushed once committed."""
    noted: set[tuple[int, int | None]] = session.info.setdefault("socket_forget", set())
    for obj in session.deleted:
        loaded = attributes.instance_state(obj).dict  # never load from a deleted row
        if isinstance(obj, Membership) and loaded.get("user_id") is not None:
            noted.add((loaded["user_id"], loaded.get("job_id")))
        elif isinstance(obj, User) and loaded.get("id") is not None:
            noted.add((loaded["id"], None))
    for obj in session.dirty:
        if isinstance(obj, Membership) and (attributes.get_history(obj, "role").has_changes()
                                            or attributes.get_history(obj, "user_id").has_changes()):
            for user_id in {*attributes.get_history(obj, "user_id").sum()}:
                noted.add((user_id, obj.job_id))
        elif isinstance(obj, User) and session.is_modified(obj):
            noted.add((obj.id, None))


@event.listens_for(Session, "after_commit")
def _push_changes(session: Session) -> None:
    noted = session.info.pop("socket_forget", None)
    if not noted or socketio.server is None:
        return
    for user_id, job_pk in noted:
        data = {"action": "forget", "user": True} if job_pk is None else {"action": "forget", "job_pk": job_pk}
        try:
            socketio.emit(CONTROL_EVENT, data, to=f"user:{user_id}")
        except Exception as exc:  # noqa: BLE001 - the commit stands; the write guards still hold
            log.warning("pushing a change to sockets failed (%s)", exc.__class__.__name__)


@event.listens_for(Session, "after_rollback")
def _drop_changes(session: Session) -> None:
    session.info.pop("socket_forget", None)


def check_payload(payload: Any, spec: dict[str, tuple[type, bool]]) -> dict[str, Any]:
    """Shallow shape check: a JSON object whose named fields have the right types."""
    if isinstance(payload, TooDeep):
        raise Invalid(TOO_DEEP, fields={"payload": "Too deep."})
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
            auth = None
            try:
                auth = _socket_auth()
                user = auth.user
                data = check_payload(payload, spec)
                take_slot(name, user.id, current_app.config)
                seat = None
                if permission is not None:
                    seat = _seat(auth, data["job"])
                    require(seat, permission)  # type: ignore[arg-type]
                g.socket_acting = (user.id, auth.login_session, auth.token_id)
                result = handler(user, data, seat) or {}
                return {"ok": True, **result}
            except DomainError as exc:
                return error_ack(exc)
            except GuardRefused:
                assert auth is not None
                return error_ack(_refused_why(auth, (payload or {}).get("job") if isinstance(payload, dict) else None,
                                              permission))
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
