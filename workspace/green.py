"""The one place that knows about eventlet: run blocking C work off the hub when it is running."""
from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def eventlet_active() -> bool:
    """True when the process runs on eventlet's hub (monkey-patched sockets)."""
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is a dependency
        return False
    return bool(patcher.is_monkey_patched("socket"))


def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """Call fn in a real OS thread under eventlet (so other connections keep flowing)."""
    if eventlet_active():
        from eventlet import tpool

        return tpool.execute(fn, *args)
    return fn(*args)


def bounded(limit: int) -> threading.BoundedSemaphore:
    """A semaphore capping concurrent blocking jobs (green-aware once eventlet patches threading)."""
    return threading.BoundedSemaphore(limit)
