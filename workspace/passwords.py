"""Password hashing with argon2id, off the event loop and with a cap on concurrent hashes."""
from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workspace.green import run_blocking

_hasher = PasswordHasher()
_slots = threading.BoundedSemaphore(4)
# A real hash of a random password, so unknown accounts cost the same time as known ones.
_DUMMY: str | None = None


def configure(time_cost: int, memory_kib: int, parallelism: int, concurrency: int) -> None:
    """Set cost parameters (from config) and how many hashes may run at once."""
    global _hasher, _slots, _DUMMY
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _slots = threading.BoundedSemaphore(concurrency)
    _DUMMY = None


def hash_password(password: str) -> str:
    with _slots:
        return run_blocking(_hasher.hash, password)


def verify_password(stored: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). An unknown account (stored=None) still pays for one hash."""
    global _DUMMY
    if stored is None:
        if _DUMMY is None:
            _DUMMY = hash_password("unknown-account-placeholder")
        stored = _DUMMY
        _check(stored, password)
        return False, False
    ok = _check(stored, password)
    return ok, ok and _hasher.check_needs_rehash(stored)


def _check(stored: str, password: str) -> bool:
    with _slots:
        try:
            return bool(run_blocking(_hasher.verify, stored, password))
        except (VerificationError, InvalidHashError):
            return False
