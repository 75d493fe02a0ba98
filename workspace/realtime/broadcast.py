"""The publisher behind the unit of work: committed events and control go out through Flask-SocketIO."""
from __future__ import annotations

from typing import Any

from workspace import metrics
from workspace.extensions import socketio
from workspace.realtime.control import CONTROL_EVENT, skipping_room


class SocketPublisher:
    """Implements workspace.db.Publisher (a leaf: nothing here reads or writes the database)."""

    def publish(self, room: str, wire: dict[str, Any]) -> None:
        socketio.emit("event", wire, to=room)
        metrics.event_published(wire)

    def disconnect(self, room: str) -> None:
        socketio.emit(CONTROL_EVENT, {"action": "disconnect"}, to=room)

    def leave(self, sockets_room: str, room: str) -> None:
        socketio.emit(CONTROL_EVENT, {"action": "leave", "room": room}, to=sockets_room)

    def signal(self, room: str, event: str, data: dict[str, Any], skip_room: str | None = None) -> None:
        socketio.emit(event, data, to=room, skip_sid=skipping_room(skip_room) if skip_room else None)
