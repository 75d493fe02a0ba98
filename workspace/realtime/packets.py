"""python-socketio's check for binary parts, without its cost.

Every emit asks whether its data holds bytes (`Packet.data_is_binary`): once to build the packet, and
once more to publish it when workers share a message queue (and again on each worker it reaches).
The library's check builds a list per level and folds it with a lambda; for our events (nested
dicts of text) that was ~12 % of a worker's CPU in the many-rooms benchmark. This one answers the
same (bytes or bytearray anywhere inside lists and dicts; nothing else is looked into) iteratively,
stopping at the first bytes. Installed once per process by `install()` (realtime.init_app).
"""
from __future__ import annotations

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


def install() -> None:
    packet.Packet.data_is_binary = classmethod(data_is_binary)  # type: ignore[method-assign, assignment]
