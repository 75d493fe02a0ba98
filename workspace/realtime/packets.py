"""python-socketio's packets: its check for binary parts without its cost, and what a client may send
made safe: JSON nested past Python's recursion limit, reserved event names, binary packets, and
packets the library cannot make sense of.

Every emit asks whether its data holds bytes (`Packet.data_is_binary`): once to build the packet, and
once more to publish it when workers share a message queue (and again on each worker it reaches).
The library's check builds a list per level and folds it with a lambda; for our events (nested
dicts of text) that was ~12 % of a worker's CPU in the many-rooms benchmark. This one answers the
same (bytes or bytearray anywhere inside lists and dicts; nothing else is looked into) iteratively,
stopping at the first bytes. 
A payload nested a thousand levels deep makes `json.loads` raise RecursionError, which the library
lets through: a traceback, and no ack for the client. `PacketJson.loads` turns it into the event's
name (read from the front of the text) with a `TooDeep` payload, which the action gate answers with
an `invalid` ack like any other bad payload.

A client could also send an event named "connect" or "disconnect": python-socketio dispatches any
name, so the server's own connect/disconnect handlers ran while the socket stayed connected (its
presence dropped, the per-user socket count fell, again and again). Such names decode as the event
`REFUSED_EVENT`, whose handler answers an `invalid` ack. Binary packets are dropped: no event of ours
carries bytes, and the library keeps a binary packet's attachments in memory until they all arrive
(up to ten digits of them). A malformed packet (`42{}`, `42[]`, a bad id) is dropped with one log
line instead of a traceback.

Installed once per process by `install()` (realtime.init_app).
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from socketio import packet, server

from workspace.domain.errors import Invalid

log = logging.getLogger(__name__)


_PLAIN = frozenset((str, int, float, bool, type(None)))  # the usual leaves: nothing to look into


def data_is_binary(cls: Any, data: Any) -> bool:
    pending = [data]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is dict:
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        elif isinstance(item, (bytes, bytearray)):
            return True
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


LIBRARY_CHECK = packet.Packet.__dict__["data_is_binary"]


class TooDeep(dict):  # type: ignore[type-arg]
    """The payload of an event whose JSON was nested too deeply to decode."""


_EVENT_NAME = re.compile(r'\[\s*"([^"\\]{1,100})"')


RESERVED = frozenset({"connect", "disconnect", "connect_error"})  # the library's, never a client's to send
REFUSED_EVENT = "refused-event"


def refused_event(payload: Any = None, *_extra: Any) -> dict[str, Any]:
    """The handler of a reserved name a client sent (see the module's docstring)."""
    name = payload.get("event") if isinstance(payload, dict) else None
    return {"ok": False, "error": Invalid(f"'{str(name)[:50]}' is not an event a client may send.").as_dict()}


class PacketJson:
    """The `json` python-socketio decodes packets with (`Packet.json`)."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            data = json.loads(text, *args, **kwargs)
        except RecursionError:
            name = _EVENT_NAME.match(text) if isinstance(text, str) else None
            return [name.group(1) if name else "", TooDeep()]
        if isinstance(data, list) and data and isinstance(data[0], str) and data[0] in RESERVED:
            return [REFUSED_EVENT, {"event": data[0]}]
        return data


BINARY_TYPES = (str(packet.BINARY_EVENT), str(packet.BINARY_ACK))


def _guarded(handle: Any) -> Any:
    def handle_eio_message(self: Any, eio_sid: str, data: Any) -> Any:
        if isinstance(data, (bytes, bytearray)) or (isinstance(data, str) and data[:1] in BINARY_TYPES):
            log.info("socket %s sent a binary packet; dropped", eio_sid)
            return None
        try:
            return handle(self, eio_sid, data)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("socket %s sent a malformed packet (%s); dropped", eio_sid, exc.__class__.__name__)
            return None
    handle_eio_message.guarded = True  # type: ignore[attr-defined]
    return handle_eio_message


def install() -> None:
    packet.Packet.data_is_binary = classmethod(data_is_binary)  # type: ignore[method-assign, assignment]
    packet.Packet.json = PacketJson  # type: ignore[assignment]
    if not getattr(server.Server._handle_eio_message, "guarded", False):
        server.Server._handle_eio_message = _guarded(server.Server._handle_eio_message)  # type: ignore[method-assign]
