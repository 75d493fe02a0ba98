"""python-socketio's packets: its check for binary parts without its cost, and its JSON decoding
made safe against documents nested past Python's recursion limit.

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

Installed once per process by `install()` (realtime.init_app).
"""
from __future__ import annotations

import json
import re
from typing import Any

from socketio import packet


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


class PacketJson:
    """The `json` python-socketio decodes packets with (`Packet.json`)."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return json.loads(text, *args, **kwargs)
        except RecursionError:
            name = _EVENT_NAME.match(text) if isinstance(text, str) else None
            return [name.group(1) if name else "", TooDeep()]


def install() -> None:
    packet.Packet.data_is_binary = classmethod(data_is_binary)  # type: ignore[method-assign, assignment]
    packet.Packet.json = PacketJson  # type: ignore[assignment]
