"""Scheduled work runs in one process at a time: whoever holds the unexpired lease row. A holder that
dies stops renewing, and another process takes over once the lease lapses."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workspace.db import rowcount, transaction, utcnow
from workspace.models import SchedulerLease


def take_lease(name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the lease; True when `holder` holds it until now + seconds."""
    moment = now or utcnow()
    until = moment + timedelta(seconds=seconds)
    try:
        with transaction() as tx:
            row = tx.session.scalar(select(SchedulerLease).where(SchedulerLease.name == name))
            if row is None:
                tx.session.add(SchedulerLease(name=name, holder=holder, lease_until=until))
                return True
            return rowcount(tx.session.execute(
                update(SchedulerLease).where(
                    SchedulerLease.name == name,
                    (SchedulerLease.holder == holder) | (SchedulerLease.lease_until < moment),
                ).values(holder=holder, lease_until=until))) == 1
    except IntegrityError:  # another process inserted the row first
        return False


def release_lease(name: str, holder: str) -> None:
    with transaction() as tx:
        tx.session.execute(update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
                           .values(lease_until=utcnow() - timedelta(seconds=1)))
