"""Client managers that also carry control messages (disconnect / leave a room / forget what a socket
may do) to every worker.

A control message is emitted like any event, so with Redis it reaches every process through the
same queue; each process then acts on the sockets it holds instead of sending the message on.
"""
from __future__ import annotations

import logging
from typing import Any

import socketio

log = logging.getLogger(__name__)

CONTROL_EVENT = "__control__"
# One message carrying several sends (one transaction's, `broadcast.SocketPublisher.together`): each
# worker delivers its parts to its own sockets, in order.
BATCH_EVENT = "__batch__"
_SKIP_ROOM = "\x00skip-room:"


def skipping_room(room: str) -> str:
    """A `skip_sid` that stands for every socket in `room`: each worker skips its own sockets of that
    room when it sends (python-socketio only skips sids, and a sender cannot know another worker's)."""
    return _SKIP_ROOM + room


class _Sids(list):  # type: ignore[type-arg]
    """The list python-socketio wants as skip_sid, with a set's membership test (large rooms)."""

    def __init__(self, sids: list[str]) -> None:
        super().__init__(sids)
        self._set = frozenset(sids)

    def __contains__(self, sid: object) -> bool:
        return sid in self._set


class ControlManager(socketio.Manager):
    """In-process manager (one worker)."""

    # Called as hook(sid, room) after a control message took a socket out of a room.
    leave_hooks: list[Any] = []
    # Called as hook(sid, data) for a "forget" control message: a change to what the socket may do
    # (its user row, or its membership of data["job_pk"]) that it must not act on from memory.
    forget_hooks: list[Any] = []

    def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        if event == CONTROL_EVENT:
            self._apply_control(data, namespace or "/", to or room)
            return None
        if event == BATCH_EVENT:
            for item in data:  # here only: the batch itself is what travelled between workers
                try:  # a part failing here (e.g. a disconnect's handler) does not hold back the others
                    ControlManager.emit(self, item["event"], item["data"], namespace, room=item["room"],
                                        skip_sid=item["skip_sid"])
                except Exception:  # noqa: BLE001 - logged; the rest of the batch still goes out
                    log.exception("delivering part of a batch (%s) failed", item.get("event"))
            return None
        if isinstance(skip_sid, str) and skip_sid.startswith(_SKIP_ROOM):
            skipped_room = skip_sid[len(_SKIP_ROOM):]
            if self._all_skipped(namespace or "/", to or room, skipped_room):
                return None  # e.g. a notification whose person's every socket shows its room: nothing to encode
            skip_sid = _Sids([sid for sid, _eio in self.get_participants(namespace or "/", skipped_room)])
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                            to=to, **kwargs)

    def _all_skipped(self, namespace: str, room: Any, skipped_room: str) -> bool:
        """Every socket of this worker in `room` is also in `skipped_room` (or `room` has none here)."""
        if not isinstance(room, str):
            return False
        rooms = self.rooms.get(namespace, {})
        skipped = rooms.get(skipped_room, {})
        return all(sid in skipped for sid in rooms.get(room, ()))

    def _apply_control(self, data: dict[str, Any], namespace: str, room: str) -> None:
        sids = [sid for sid, _eio in self.get_participants(namespace, room)]
        for sid in sids:
            if data.get("action") == "disconnect":
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
            elif data.get("action") == "leave":
                self.server.leave_room(sid, data["room"], namespace=namespace)
                for hook in self.leave_hooks:
                    hook(sid, data["room"])
            elif data.get("action") == "forget":
                for hook in self.forget_hooks:
                    hook(sid, data)

    def emit_local(self, event: str, data: Any, room: str, namespace: str = "/") -> None:
        """Send only to this worker's sockets in `room` (periodic heads: each worker serves its own)."""
        ControlManager.emit(self, event, data, namespace, room=room)


class ControlRedisManager(socketio.RedisManager, ControlManager):
    """Redis-backed manager: publish goes to every worker; each applies control locally."""

    def __init__(self, url: str, channel: str = "workspace", **kwargs: Any) -> None:
        super().__init__(url, channel=channel, **kwargs)

    def emit(self, event: str, data: Any, namespace: str | None = None, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        """A batch goes to the other workers before this one delivers it (python-socketio delivers
        first): a transaction its delivery starts (a disconnect handler writing) then publishes after
        it, so the other workers see the two in the order they were committed."""
        if event != BATCH_EVENT or kwargs.get("ignore_queue"):
            return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                                callback=callback, to=to, **kwargs)
        message = {"method": "emit", "event": event, "data": [data], "binary": False,
                   "namespace": namespace or "/", "room": to or room, "skip_sid": None, "callback": None,
                   "host_id": self.host_id}  # the message python-socketio's PubSubManager.emit makes
        try:
            self._publish(message)
        finally:  # delivered here even when the queue is away
            self._handle_emit(message)
        return None


def make_manager(redis_url: str | None, channel: str = "workspace") -> socketio.Manager:
    return ControlRedisManager(redis_url, channel=channel) if redis_url else ControlManager()
