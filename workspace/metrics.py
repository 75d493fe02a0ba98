"""What an operator watches, in Prometheus' text format at /metrics (prometheus_client).

Each worker process keeps its own figures (scrape each worker, or sum them by instance): sockets
connected, events published and how long after they were recorded they reached the socket layer,
actions refused by reason, and — read from the database at scrape time, so the same on every
worker — the email outbox's depth and how late scheduled work is."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()

SOCKETS = Gauge("workspace_sockets_connected", "Socket.IO connections open in this worker", registry=REGISTRY)
EVENTS = Counter("workspace_events_published", "Room events handed to Socket.IO after commit", registry=REGISTRY)
EMIT_DELAY = Histogram("workspace_event_emit_delay_seconds", "From an event's record time to its emit",
                       buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
                       registry=REGISTRY)
REFUSED = Counter("workspace_actions_refused", "Socket actions answered ok: false", ["code"], registry=REGISTRY)
POSTS_PER_COMMIT = Histogram("workspace_posts_per_commit", "Messages written by one transaction (group commit)",
                             buckets=(1, 2, 4, 8, 16, 32, 64), registry=REGISTRY)
OUTBOX = Gauge("workspace_outbox_depth", "Emails waiting to be sent (pending or being sent)", registry=REGISTRY)
SCHEDULER_LAG = Gauge("workspace_scheduler_lag_seconds",
                      "Seconds since the scheduler lease ran out with no worker renewing it (0 while scheduled "
                      "work runs on time)", registry=REGISTRY)


def event_published(wire: dict[str, Any]) -> None:
    EVENTS.inc()
    at = wire.get("at")
    if isinstance(at, str):
        try:
            recorded = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return
        EMIT_DELAY.observe(max(0.0, time.time() - recorded))


def posts_committed(count: int) -> None:
    POSTS_PER_COMMIT.observe(count)


def refused(code: str) -> None:
    REFUSED.labels(code=code).inc()


def render() -> tuple[bytes, str]:
    """The text exposition, with the database-backed gauges read now."""
    _read_database_gauges()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def _read_database_gauges() -> None:
    from sqlalchemy import func, select

    from workspace.extensions import db
    from workspace.models import EmailOutbox, SchedulerLease

    try:
        OUTBOX.set(db.session.scalar(select(func.count()).select_from(EmailOutbox)
                                     .where(EmailOutbox.status.in_(("pending", "sending")))) or 0)
        lease = db.session.scalar(select(SchedulerLease.lease_until).where(SchedulerLease.name == "scheduler"))
        if lease is not None:
            until = lease if lease.tzinfo else lease.replace(tzinfo=timezone.utc)
            # A holder renews its lease each round for a few intervals ahead: how far it has run out
            # (0 while someone holds it) is how late scheduled work is.
            SCHEDULER_LAG.set(max(0.0, time.time() - until.timestamp()))
    finally:
        db.session.remove()
