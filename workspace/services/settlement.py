"""After money moves: approved milestones covered by confirmed payments become paid (in approval
order), and a job whose every milestone is paid is completed. Runs inside the caller's transaction."""
from __future__ import annotations

from sqlalchemy import select, update

from workspace.db import Transaction, rowcount, utcnow
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict
from workspace.domain.milestones import APPROVED, CANCELLED, PAID, SYSTEM, next_state
from workspace.models import Dispute, Job, Milestone
from workspace.services import ledger
from workspace.services.views import milestone_detail


def move(tx: Transaction, milestone: Milestone, expected: str, new: str, **values: object) -> None:
    """Compare-and-set the state: exactly one row must change, or someone else got there first."""
    changed = rowcount(tx.session.execute(
        update(Milestone).where(Milestone.id == milestone.id, Milestone.state == expected)
        .values(state=new, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ))
    if changed != 1:
        raise Conflict("This milestone changed meanwhile; reload and try again.", code="state_changed")
    tx.session.refresh(milestone)


def settle(tx: Transaction, job: Job) -> None:
    """Mark approved milestones paid while confirmed payments cover them, in approval order; a milestone
    under an open dispute is neither paid nor counted until the dispute ends."""
    paid_total = ledger.balances(tx.session, job.id)["paid"]
    disputed = set(tx.session.scalars(select(Dispute.milestone_id).where(Dispute.job_id == job.id,
                                                                         Dispute.state == "open")))
    approved = tx.session.scalars(
        select(Milestone).where(Milestone.job_id == job.id, Milestone.state.in_((APPROVED, PAID)))
        .order_by(Milestone.approved_at, Milestone.id)
    ).all()
    covered = 0
    for milestone in (m for m in approved if m.id not in disputed):
        covered += milestone.amount
        if milestone.state == APPROVED and covered <= paid_total:
            move(tx, milestone, APPROVED, next_state(APPROVED, "settle", SYSTEM), paid_at=utcnow())
            tx.record(job, ev.MILESTONE_PAID, {"milestone": milestone_detail(tx.session, milestone)}, None)
    complete_if_done(tx, job)


def complete_if_done(tx: Transaction, job: Job) -> None:
    states = list(tx.session.scalars(select(Milestone.state).where(Milestone.job_id == job.id)))
    live = [s for s in states if s != CANCELLED]
    if job.status == "active" and live and all(s == PAID for s in live):
        job.status = "completed"
        tx.session.flush()
        tx.record(job, ev.JOB_COMPLETED, {"job_status": "completed",
                                          "balances": ledger.balances(tx.session, job.id)}, None)
