"""Socket.IO handlers: the connect gate, join/resume, and thin actions that call one service each."""
from __future__ import annotations

import json
import time
from typing import Any

from flask import current_app, request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, emit, join_room, leave_room

from workspace import metrics
from workspace.domain.errors import Conflict, Forbidden, Invalid, RateLimited
from workspace.extensions import db, socketio
from workspace.models import User
from workspace.realtime.gate import action, on, remember
from workspace.realtime.heads import ensure_ticker
from workspace.realtime.presence import presence
from workspace.realtime.rooms import local_rooms, signal_budget, socket_auths, user_sockets
from workspace.services import accounts, events, live, members, messages, progress
from workspace.services.notifications import watching_room
from workspace.services.access import Seat, socket_token

JOB = {"job": (str, True)}
# An SDP offer is a few KB; a candidate a few hundred bytes. Per socket: 32 KB each, 512 KB per 10 s.
SIGNAL_MAX_BYTES = 32_000
SIGNAL_BUDGET = (512_000, 10)


@on("connect")
def on_connect(auth: Any = None) -> bool:
    """Browsers come with their session cookie, scripts with auth={"token": ...}; nobody else."""
    user, token_id, login_session = None, None, None
    if isinstance(auth, dict) and "token" in auth:
        found = socket_token(auth["token"])
        if found:
            user, token_id = found
            session["token_id"] = token_id
            join_room(accounts.token_room(token_id))
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        login_session = session["lsid"]
        join_room(accounts.login_room(login_session))
    if user is None:
        return False
    cap = current_app.config["MAX_SOCKETS_PER_USER"]
    if not user_sockets.add(user.id, request.sid, cap):
        raise ConnectionRefusedError(f"Too many open connections for your account ({cap}). Close some tabs or "
                                     "scripts and try again.")
    session["socket_user_id"] = user.id
    join_room(f"user:{user.id}")
    remember(request.sid, user, login_session, token_id)  # actions use these, pushed changes reset them
    ensure_ticker(current_app._get_current_object())
    metrics.SOCKETS.inc()
    return True


@on("disconnect")
def on_disconnect(*_args: Any) -> None:
    metrics.SOCKETS.dec()
    user_sockets.remove(request.sid)
    socket_auths.drop(request.sid)
    signal_budget.forget(request.sid)
    for job in local_rooms.drop_socket(request.sid):
        if presence.remove(job, request.sid):
            broadcast_presence(job)
    live.publisher_gone(request.sid)


_presence_due: set[str] = set()
PRESENCE_COALESCE = {"seconds": 0.5}  # set from config in realtime.init_app (callers may have no app context)


def broadcast_presence(job: str) -> None:
    """Tell the room who is here, at most once per PRESENCE_COALESCE seconds per room: a wave of N
    joins then costs O(N) frames, not O(N^2)."""
    if job in _presence_due:
        return
    _presence_due.add(job)
    socketio.start_background_task(_send_presence, job, PRESENCE_COALESCE["seconds"])


def _send_presence(job: str, delay: float) -> None:
    socketio.sleep(delay)
    _presence_due.discard(job)
    socketio.emit("presence", {"job": job, "watching": presence.watching(job, fresh=True)}, to=f"job:{job}")


def forget_socket_in_room(sid: str, room: str) -> None:
    """After a control message took a socket out of a job room (member removed)."""
    if room.startswith("job:"):
        job = room[4:]
        socket_auths.forget(sid, job=job)  # a removed member: the next action asks the database
        socketio.server.leave_room(sid, watching_room(job), namespace="/")
        local_rooms.remove(sid, job)
        if presence.remove(job, sid):
            broadcast_presence(job)


@action("join", {**JOB, "after": (int, False), "hidden": (bool, False)}, permission="job.view")
def on_join(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    """Subscribe first, then read the page after `after`: nothing committed in between is missed.
    `hidden`: the page is not in view (a background tab), so its person's notifications still come."""
    job = data["job"]
    join_room(f"job:{job}")
    _in_view(job, not data.get("hidden"))
    db.fresh_snapshot()
    try:
        page = events.join_page(user, job, data.get("after") or 0, page_max=current_app.config["EVENT_PAGE_MAX"],
                                seat=membership)
    except Conflict as exc:
        if exc.code == "resync_required":
            emit("resync_required", {"job": job})
        raise
    member = {"id": user.id, "name": user.name, "role": membership.role}
    local_rooms.add(request.sid, job, member)
    presence.add(job, request.sid, member)
    broadcast_presence(job)
    page["watching"] = presence.watching(job)  # the joiner knows at once; the room learns shortly
    return page


@action("leave", JOB)
def on_leave(user: User, data: dict[str, Any], membership: Seat | None) -> None:
    job = data["job"]
    leave_room(f"job:{job}")
    _in_view(job, False)
    local_rooms.remove(request.sid, job)
    if presence.remove(job, request.sid):
        broadcast_presence(job)


def _in_view(job: str, in_view: bool) -> None:
    """A room page in view gets its events and no separate notification of them (notifications.py)."""
    (join_room if in_view else leave_room)(watching_room(job))


@action("visibility", {**JOB, "hidden": (bool, True)}, permission="job.view")
def on_visibility(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    """The room page went out of view (notifications come again) or back into view (they stop)."""
    job = data["job"]
    if not local_rooms.has(request.sid, job):
        raise Conflict("Join the room first.", code="not_in_room")
    _in_view(job, not data["hidden"])
    return {"hidden": data["hidden"]}


@action("message", {**JOB, "body": (str, False), "reply_to": (int, False), "client_ref": (str, False),
                    "attachments": (list, False)}, permission="message.post")
def on_message(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"event": messages.post_message(user, data["job"], data.get("body", ""), reply_to=data.get("reply_to"),
                                           client_ref=data.get("client_ref"), attachments=data.get("attachments"),
                                           seat=membership)}


@action("edit_message", {**JOB, "id": (int, True), "body": (str, True)}, permission="message.post")
def on_edit_message(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"event": messages.edit_message(user, data["job"], data["id"], data["body"])}


@action("delete_message", {**JOB, "id": (int, True)}, permission="message.post")
def on_delete_message(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"event": messages.delete_message(user, data["job"], data["id"])}


@action("progress", {**JOB, "percent": (int, True), "note": (str, False), "milestone_id": (int, False)},
        permission="progress.post")
def on_progress(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"event": progress.post_progress(user, data["job"], data["percent"], data.get("note", ""),
                                            data.get("milestone_id"))}


@action("typing", JOB, permission="message.post")
def on_typing(user: User, data: dict[str, Any], membership: Seat | None) -> None:
    emit("typing", {"job": data["job"], "user": {"id": user.id, "name": user.name}},
         to=f"job:{data['job']}", include_self=False)


@action("read", {**JOB, "seq": (int, True)}, permission="job.view")
def on_read(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"last_read_seq": members.mark_read(user, data["job"], data["seq"])}


# ---------------------------------------------------------------- live sessions and WebRTC signalling

@action("live_start", {**JOB, "title": (str, False), "milestone_id": (int, False)}, permission="live.publish")
def on_live_start(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"session": live.start_session(user, data["job"], request.sid, data.get("title", ""), data.get("milestone_id"))}


@action("live_resume", JOB, permission="live.publish")
def on_live_resume(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"session": live.resume_session(user, data["job"], request.sid)}


@action("live_pause", JOB, permission="live.publish")
def on_live_pause(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"session": live.pause_session(user, data["job"])}


@action("live_stop", JOB, permission="live.publish")
def on_live_stop(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"session": live.stop_session(user, data["job"])}


@action("live_heartbeat", JOB, permission="live.publish")
def on_live_heartbeat(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    return {"publishing": live.heartbeat(user, data["job"], request.sid)}


@action("live_watch", JOB, permission="live.watch")
def on_live_watch(user: User, data: dict[str, Any], membership: Seat | None) -> dict[str, Any]:
    """A member in the room asks to see the screen: the publisher's page is told to call this socket."""
    job = data["job"]
    session = live.current(user, job)
    if session is None or not session["publisher_sid"] or session["publisher_sid"] == request.sid:
        return {"session": session}  # nobody to call, or this is the publisher's own socket
    if request.sid not in presence.sids(job):
        raise Conflict("Join the room first.", code="not_in_room")
    socketio.emit("live_watcher", {"job": job, "session": session["id"],
                                   "watcher": {"sid": request.sid, "id": user.id, "name": user.name,
                                               "role": membership.role if membership else None}},
                  to=session["publisher_sid"])
    return {"session": session}


@action("signal", {**JOB, "to": (str, True), "data": (dict, True)}, permission="live.watch")
def on_signal(user: User, data: dict[str, Any], membership: Seat | None) -> None:
    """Relay WebRTC offers, answers and candidates: publisher <-> watchers of this job's live session only."""
    job, target, sender = data["job"], data["to"], request.sid
    session = live.current(user, job)
    if session is None or not session["publisher_sid"]:
        raise Conflict("Nobody is live in this job.", code="not_live")
    in_room = presence.sids(job)
    if sender == session["publisher_sid"]:
        allowed = target in in_room and target != sender
    else:
        allowed = target == session["publisher_sid"] and sender in in_room
    if not allowed:
        raise Forbidden("You cannot signal that socket.")
    size = len(json.dumps(data["data"], separators=(",", ":")))
    if size > SIGNAL_MAX_BYTES:
        raise Invalid(f"A signal may carry at most {SIGNAL_MAX_BYTES // 1000} KB.")
    if not signal_budget.spend(sender, size, *SIGNAL_BUDGET, time.time()):
        raise RateLimited("Too much signalling from this connection; wait a few seconds.", retry_after=SIGNAL_BUDGET[1])
    socketio.emit("signal", {"job": job, "from": sender, "data": data["data"]}, to=target)
