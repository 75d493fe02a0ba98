"""Group commit: writes that arrive together share one transaction, each still committed before its
writer hears back.

Under a burst the fixed cost of a small write (BEGIN and COMMIT, the seq allocation, the members'
unread counts, one publish to the other workers) is most of what it costs. The first writer to arrive
leads: it lets the green threads already woken by the same reads hand their writes in (while any are
due to run: `green.others_due`), then writes them all with one call to `write(batch)`, which sets
each item's `result` or `error`. Whoever arrives while a batch is being written waits; the first of
them leads the next batch.

When `write` fails as a whole (it raised), nothing of the batch was committed: each item is marked
`alone` and its own writer writes it by itself, so one bad write never fails the others, and its error
is raised where it was made (its own socket's context). The lock and events are `threading`'s, green
once eventlet patches the process; `time.sleep(0)` is then a hub turn.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from workspace.green import others_due

GATHER_TURNS = 4  # at most this many hub turns spent gathering (see `_gather`)
BATCH_MAX = 64


class Item:
    """One write waiting to be made: the caller's fields, then what became of it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self.alone = False  # the shared transaction failed: write this one by itself
        self.lead = False  # handed the lead: write the next batch


class GroupCommit:
    """One queue of waiting writes (per app: they go to its database)."""

    def __init__(self, write: Callable[[list[Any]], None]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._queue: list[Any] = []
        self._leading = False

    def submit(self, item: Item) -> None:
        """Return once `item` is written together with others (`result`/`error` set) or must be
        written alone (`alone`)."""
        with self._lock:
            self._queue.append(item)
            lead = not self._leading
            self._leading = True
        if not lead:
            item.done.wait()
            if not item.lead:
                return
            item.done.clear()
        self._lead()

    def _lead(self) -> None:
        """Write the queue's first items (the leader's own is the first), then hand over."""
        try:
            self._gather()
            with self._lock:
                batch, self._queue = self._queue[:BATCH_MAX], self._queue[BATCH_MAX:]
            self._run(batch)
        finally:
            with self._lock:  # hand over to the first who arrived meanwhile, or stop leading
                following = self._queue[0] if self._queue else None
                self._leading = following is not None
            if following is not None:
                following.lead = True
                following.done.set()

    def _gather(self) -> None:
        """Give the green threads that the last reads woke a chance to hand their writes in first: they
        are due on this hub turn, after the leader. While some are due (and for a few turns at most),
        yield; alone (nothing due), write at once, at no cost of a turn."""
        for _turn in range(GATHER_TURNS):
            if not others_due():
                return
            time.sleep(0)

    def _run(self, batch: list[Item]) -> None:
        try:
            self._write(batch)
        except Exception as exc:  # noqa: BLE001 - nothing of it committed: each goes again alone
            for item in batch:
                if len(batch) == 1:
                    item.error = exc
                else:
                    item.alone = True
        finally:
            for item in batch:
                if item.result is None and item.error is None:
                    item.alone = True  # (the batch was cut short: a green thread killed mid-write)
                item.done.set()
