"""This worker's record of which of its sockets are in which job room, as whom."""
from __future__ import annotations

import threading
from typing import Any


class LocalRooms:
    def __init__(self) -> None:
        self._by_sid: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, job: str, member: dict[str, Any]) -> None:
        with self._lock:
            self._by_sid.setdefault(sid, {})[job] = member

    def remove(self, sid: str, job: str) -> bool:
        with self._lock:
            return self._by_sid.get(sid, {}).pop(job, None) is not None

    def drop_socket(self, sid: str) -> list[str]:
        """Forget a disconnected socket; the jobs it was in."""
        with self._lock:
            return list(self._by_sid.pop(sid, {}))

    def jobs(self) -> dict[str, dict[str, dict[str, Any]]]:
        """job -> {sid: member} for every room with a socket here."""
        with self._lock:
            result: dict[str, dict[str, dict[str, Any]]] = {}
            for sid, jobs in self._by_sid.items():
                for job, member in jobs.items():
                    result.setdefault(job, {})[sid] = member
            return result


local_rooms = LocalRooms()
