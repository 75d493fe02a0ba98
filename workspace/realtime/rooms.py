"""This worker's record of its sockets: which job rooms they are in, as whom, and who they act as."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
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

    def has(self, sid: str, job: str) -> bool:
        with self._lock:
            return job in self._by_sid.get(sid, {})

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


class UserSockets:
    """How many sockets each user holds on this worker (a cap stops one account hoarding connections)."""

    def __init__(self) -> None:
        self._by_user: dict[int, set[str]] = {}
        self._user_of: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, user_id: int, sid: str, cap: int) -> bool:
        """Count the socket in; False (and not counted) when the user already holds `cap`."""
        with self._lock:
            sids = self._by_user.setdefault(user_id, set())
            if len(sids) >= cap:
                return False
            sids.add(sid)
            self._user_of[sid] = user_id
            return True

    def remove(self, sid: str) -> None:
        with self._lock:
            user_id = self._user_of.pop(sid, None)
            if user_id is not None:
                sids = self._by_user.get(user_id, set())
                sids.discard(sid)
                if not sids:
                    self._by_user.pop(user_id, None)


class SignalBudget:
    """Bytes of WebRTC signalling each socket may relay per window (SDP and candidates are small)."""

    def __init__(self) -> None:
        self._spent: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def spend(self, sid: str, size: int, limit: int, window: int, now: float) -> bool:
        bucket = int(now) // window
        with self._lock:
            last_bucket, used = self._spent.get(sid, (bucket, 0))
            used = used if last_bucket == bucket else 0
            if used + size > limit:
                return False
            self._spent[sid] = (bucket, used + size)
            return True

    def forget(self, sid: str) -> None:
        with self._lock:
            self._spent.pop(sid, None)


@dataclass
class SocketAuth:
    """Who a socket acts as, kept from connect until it goes: the user row (None once a change to it
    was pushed: reloaded, with its login checked again, by the next action), the login session or
    token it came with, and its seats (job public id -> access.Seat) as first loaded by an action.
    `generation` counts pushed changes, so a read that raced one is not kept."""

    user: Any
    login_session: str | None
    token_id: int | None
    seats: dict[str, Any] = field(default_factory=dict)
    generation: int = 0


class SocketAuths:
    """This worker's sockets and what they may do; changed only by connect, disconnect and the control
    messages that push a change (services never reach in: they publish, every worker applies)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, SocketAuth] = {}

    def put(self, sid: str, auth: SocketAuth) -> None:
        self._by_sid[sid] = auth

    def get(self, sid: str) -> SocketAuth | None:
        return self._by_sid.get(sid)

    def drop(self, sid: str) -> None:
        self._by_sid.pop(sid, None)

    def forget(self, sid: str, *, job_pk: int | None = None, job: str | None = None, user: bool = False) -> None:
        """A pushed change: drop the seat in one job (by primary key or public id), or the user row."""
        auth = self._by_sid.get(sid)
        if auth is None:
            return
        auth.generation += 1
        if user:
            auth.user = None
        if job is not None:
            auth.seats.pop(job, None)
        if job_pk is not None:
            for public_id in [j for j, seat in auth.seats.items() if seat.id == job_pk]:
                auth.seats.pop(public_id, None)


local_rooms = LocalRooms()
socket_auths = SocketAuths()
user_sockets = UserSockets()
signal_budget = SignalBudget()
