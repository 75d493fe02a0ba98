"""The publisher behind the unit of work: committed events and control go out through Flask-SocketIO."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from socketio.pubsub_manager import PubSubManager

from workspace import metrics
from workspace.extensions import socketio
from workspace.realtime.control import BATCH_EVENT, CONTROL_EVENT, skipping_room


class SocketPublisher:
    """Implements workspace.db.Publisher (a leaf: nothing here reads or writes the database)."""

    def publish(self, room: str, wire: dict[str, Any]) -> None:
        self._emit("event", wire, room)
        metrics.event_published(wire)

    def disconnect(self, room: str) -> None:
        self._emit(CONTROL_EVENT, {"action": "disconnect"}, room)

    def leave(self, sockets_room: str, room: str) -> None:
        self._emit(CONTROL_EVENT, {"action": "leave", "room": room}, sockets_room)

    def signal(self, room: str, event: str, data: dict[str, Any], skip_room: str | None = None) -> None:
        self._emit(event, data, room, skipping_room(skip_room) if skip_room else None)

    def _emit(self, event: str, data: Any, room: str, skip_sid: str | None = None) -> None:
        socketio.emit(event, data, to=room, skip_sid=skip_sid)

    @contextmanager
    def together(self) -> Iterator["SocketPublisher"]:
        """What one transaction sends (its event, the notifications of it, control) as one message on
        the queue when workers share one: one Redis publish, and one message for each worker to decode,
        instead of one per send (each worker then delivers the parts in order, control included).
        In one process there is no queue and each send goes out as it is made."""
        manager = getattr(socketio.server, "manager", None)
        if not isinstance(manager, PubSubManager):
            yield self
            return
        batch = _Batch()
        yield batch
        if len(batch.items) == 1:
            item = batch.items[0]
            socketio.emit(item["event"], item["data"], to=item["room"], skip_sid=item["skip_sid"])
        elif batch.items:
            socketio.emit(BATCH_EVENT, batch.items, to=BATCH_EVENT)


class _Batch(SocketPublisher):
    """Collects the sends of one transaction (see `SocketPublisher.together`)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def _emit(self, event: str, data: Any, room: str, skip_sid: str | None = None) -> None:
        self.items.append({"event": event, "data": data, "room": room, "skip_sid": skip_sid})
