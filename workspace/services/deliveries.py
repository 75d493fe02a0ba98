"""Delivering milestones: submit, approve (or automatically), request changes, cancel by both sides."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workspace.db import Transaction, iso, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain import ledger as ledger_rules
from workspace.domain.errors import Invalid, NotFound
from workspace.domain.milestones import (
    APPROVED, CANCELLED, CHANGES_REQUESTED, SUBMITTED, SYSTEM, cancel_outcome, next_state, revision_label,
)
from workspace.extensions import db
from workspace.models import Agreement, Attachment, Job, Membership, Milestone, Notification, Submission, User
from workspace.services import idempotency, invoices, ledger
from workspace.services.access import JOB_NOT_FOUND, load_in_job, lock_job
from workspace.services.disputes import open_dispute_for, refuse_if_disputed
from workspace.services.settlement import complete_if_done, move, settle
from workspace.services.views import milestone_detail

NOTE_MAX, REASON_MAX = 10_000, 5_000
MILESTONE_NOT_FOUND = "No such milestone, or you are not a member of its job."


def load_milestone(session: Session, actor: User, milestone_id: Any, *, lock: bool = True
                   ) -> tuple[Milestone, Job, Membership]:
    """The milestone (row-locked for a write), its job and the actor's membership; 404 for outsiders."""
    return load_in_job(session, actor, Milestone, milestone_id, MILESTONE_NOT_FOUND, lock=lock)


def _text(value: Any, field: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(f"The {field} must be text.", fields={field: "Must be text."})
    if len(value) > limit:
        raise Invalid(f"Keep the {field} under {limit:,} characters.", fields={field: "Too long."})
    if required and not value.strip():
        raise Invalid(f"Say why: the {field} is required.", fields={field: "Required."})
    return value.strip()


def submit_milestone(actor: User, milestone_id: Any, note: Any = "", attachments: Any = None) -> dict[str, Any]:
    """The freelancer delivers; the client's review window starts now."""
    text = _text(note, "note", NOTE_MAX, required=False)
    if attachments is not None and (not isinstance(attachments, list)
                                    or not all(isinstance(a, str) and len(a) <= 32 for a in attachments)):
        raise Invalid("attachments is a list of attachment ids.", fields={"attachments": "Invalid."})
    with transaction() as tx:
        milestone, job, membership = load_milestone(tx.session, actor, milestone_id)
        new_state = next_state(milestone.state, "submit", membership.role)
        refuse_if_disputed(tx.session, milestone)  # a disputed milestone is frozen until it is settled
        if not text and not attachments:  # after who-may-submit: outsiders get 404, others 403 or 409
            raise Invalid("Add a note or a file so the client knows what to review.",
                          fields={"note": "Add a note or a file so the client knows what to review."})
        agreement = tx.session.scalar(select(Agreement).where(Agreement.job_id == job.id,
                                                              Agreement.status == "in_force"))
        if agreement is None:  # pragma: no cover - milestones exist only under terms in force
            raise NotFound(JOB_NOT_FOUND)
        number = (tx.session.scalar(select(func.max(Submission.number))
                                    .where(Submission.milestone_id == milestone.id)) or 0) + 1
        now = utcnow()
        due = now + timedelta(days=agreement.terms["auto_approve_days"])
        submission = Submission(milestone_id=milestone.id, number=number, note=text, submitted_by_id=actor.id,
                                submitted_at=now, review_due_at=due)
        tx.session.add(submission)
        tx.session.flush()
        if attachments:
            files = list(tx.session.scalars(select(Attachment).where(
                Attachment.public_id.in_(attachments), Attachment.job_id == job.id, Attachment.uploader_id == actor.id,
                Attachment.message_id.is_(None), Attachment.submission_id.is_(None))))
            if len(files) != len(set(attachments)):
                raise Invalid("Some files are missing or already used; upload them again.",
                              fields={"attachments": "Unknown or used."})
            for f in files:
                f.submission_id = submission.id
        move(tx, milestone, milestone.state, new_state, submitted_at=now, review_due_at=due)
        view = milestone_detail(tx.session, milestone)
        tx.record(job, ev.MILESTONE_SUBMITTED, {"milestone": view}, actor)
    return {"milestone": view}


def approve_milestone(actor: User, milestone_id: Any, *, idempotency_key: Any) -> dict[str, Any]:
    """The client approves: the amount is earned and (less upfront credit) owed. Exactly once per key."""
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        milestone, job, membership = load_milestone(tx.session, actor, milestone_id)
        claim = idempotency.Claim(tx.session, actor, key, "approve", milestone.id)
        if claim.prior is not None:
            return claim.prior
        next_state(milestone.state, "approve", membership.role)
        refuse_if_disputed(tx.session, milestone)
        result = _approve(tx, job, milestone, actor, auto=False)
        claim.remember(result)
    return result


def _approve(tx: Transaction, job: Job, milestone: Milestone, actor: User | None, *, auto: bool) -> dict[str, Any]:
    now = utcnow()
    move(tx, milestone, SUBMITTED, APPROVED, approved_at=now, auto_approved=auto, review_due_at=None)
    submission = _latest(tx.session, milestone)
    submission.decision, submission.decided_at = ("auto_approved" if auto else "approved"), now
    submission.decided_by_id = actor.id if actor else None
    deposits_left = ledger.balances(tx.session, job.id)["deposits_left"]
    ledger.post(tx.session, job, ledger_rules.APPROVAL, f"milestone:{milestone.id}",
                ledger_rules.milestone_approved(milestone.amount, deposits_left))
    invoices.for_milestone(tx, job, milestone.id, milestone.title, milestone.amount, milestone.currency,
                           advance_used=min(milestone.amount, deposits_left))
    days = (submission.review_due_at - submission.submitted_at).days
    view = milestone_detail(tx.session, milestone)
    tx.record(job, ev.MILESTONE_APPROVED, {
        "milestone": view, "auto": auto, "days": days if auto else None,
        "balances": ledger.balances(tx.session, job.id),
    }, actor)
    settle(tx, job)
    return {"milestone": milestone_detail(tx.session, milestone), "balances": ledger.balances(tx.session, job.id)}


def _latest(session: Session, milestone: Milestone) -> Submission:
    submission = session.scalar(select(Submission).where(Submission.milestone_id == milestone.id)
                                .order_by(Submission.number.desc()).limit(1))
    assert submission is not None
    return submission


def request_changes(actor: User, milestone_id: Any, reason: Any, criteria: Any = None,
                    out_of_scope: Any = False) -> dict[str, Any]:
    """The client asks for changes, naming the criteria; it counts against the included revisions."""
    text = _text(reason, "reason", REASON_MAX, required=True)
    out_of_scope = False if out_of_scope is None else out_of_scope
    if not isinstance(out_of_scope, bool):
        raise Invalid("out_of_scope is true or false.", fields={"out_of_scope": "Invalid."})
    with transaction() as tx:
        milestone, job, membership = load_milestone(tx.session, actor, milestone_id)
        new_state = next_state(milestone.state, "request_changes", membership.role)
        refuse_if_disputed(tx.session, milestone)
        picked = _criteria(criteria, milestone)
        revision = milestone.revisions_used + (0 if out_of_scope else 1)
        submission = _latest(tx.session, milestone)
        submission.decision, submission.decided_at, submission.decided_by_id = CHANGES_REQUESTED, utcnow(), actor.id
        submission.reason, submission.criteria, submission.out_of_scope = text, picked, out_of_scope
        submission.revision = None if out_of_scope else revision
        move(tx, milestone, SUBMITTED, new_state, review_due_at=None, revisions_used=revision)
        beyond = out_of_scope or revision > milestone.revisions_included
        view = milestone_detail(tx.session, milestone)
        tx.record(job, ev.MILESTONE_CHANGES_REQUESTED, {
            "milestone": view, "reason": text, "criteria": [milestone.criteria[i] for i in picked],
            "out_of_scope": out_of_scope, "beyond_included": beyond,
            "revision_label": "marked out of scope" if out_of_scope else revision_label(revision, milestone.revisions_included),
        }, actor)
    return {"milestone": view, "beyond_included": beyond}


def _criteria(value: Any, milestone: Milestone) -> list[int]:
    if value is None:
        return []
    count = len(milestone.criteria or [])
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count
                                              for i in value):
        raise Invalid("criteria lists the indexes of this milestone's acceptance criteria.",
                      fields={"criteria": f"Whole numbers from 0 to {count - 1}." if count else "This milestone has none."})
    return sorted(set(value))


def cancel_milestone(actor: User, milestone_id: Any) -> dict[str, Any]:
    """One side asks to cancel; when the other side asks too, the milestone is cancelled."""
    with transaction() as tx:
        milestone, job, membership = load_milestone(tx.session, actor, milestone_id)
        new_state, requester = cancel_outcome(milestone.state, membership.role, milestone.cancel_requested_by)
        refuse_if_disputed(tx.session, milestone)
        if new_state == CANCELLED:
            move(tx, milestone, milestone.state, CANCELLED, cancel_requested_by=None, review_due_at=None)
            tx.record(job, ev.MILESTONE_CANCELLED, {"milestone": milestone_detail(tx.session, milestone)}, actor)
            complete_if_done(tx, job)
        elif milestone.cancel_requested_by != requester:
            move(tx, milestone, milestone.state, milestone.state, cancel_requested_by=requester)
            tx.record(job, ev.MILESTONE_CANCEL_REQUESTED, {"milestone": milestone_detail(tx.session, milestone)}, actor)
        view = milestone_detail(tx.session, milestone)
    return {"milestone": view}


def approve_overdue(job_id: int | None = None, now: datetime | None = None) -> int:
    """Approve every submission whose review window has run out (all jobs, or one), but only once
    every client was told (the review-window warning read in the app or its email sent) and then had
    the whole warning period; otherwise the window is extended and the room says why."""
    now = now or utcnow()
    query = select(Milestone.id).where(Milestone.state == SUBMITTED, Milestone.review_due_at <= now)
    if job_id is not None:
        query = query.where(Milestone.job_id == job_id)
    done = 0
    for milestone_id in list(db.session.scalars(query)):
        with transaction() as tx:
            job_pk = tx.session.scalar(select(Milestone.job_id).where(Milestone.id == milestone_id))
            if job_pk is None:
                continue
            lock_job(tx.session, job_pk)  # the job first, as every approval (services/access.lock_job)
            milestone = tx.session.scalar(select(Milestone).where(Milestone.id == milestone_id).with_for_update())
            if milestone is None or milestone.state != SUBMITTED or milestone.review_due_at is None \
                    or milestone.review_due_at > now:
                continue  # someone answered meanwhile
            if open_dispute_for(tx.session, milestone.id) is not None:
                continue  # a dispute stops the clock until it is resolved or withdrawn
            next_state(milestone.state, "auto_approve", SYSTEM)
            job = tx.session.get(Job, milestone.job_id)
            assert job is not None
            if not _clients_had_warning(tx, job, milestone, now):
                continue
            _approve(tx, job, milestone, None, auto=True)
            done += 1
    return done


def _clients_had_warning(tx: Transaction, job: Job, milestone: Milestone, now: datetime) -> bool:
    """True when auto-approval may happen now; else extend the window (with an event) if it moves much."""
    from workspace.services.notify_email import email_sent_at
    from workspace.services.reminders import review_warning, warning_occasion

    submission = _latest(tx.session, milestone)
    warning = review_warning(submission.review_due_at - submission.submitted_at)
    occasion = f"{warning_occasion(milestone.id, submission.number)}:{job.id}"
    clients = list(tx.session.scalars(select(Membership.user_id).where(Membership.job_id == job.id,
                                                                       Membership.role == "client")))
    told: list[datetime] = []
    for user_id in clients:
        note = tx.session.scalar(select(Notification).where(Notification.user_id == user_id,
                                                            Notification.occasion == occasion))
        moments = [m for m in (note.read_at if note else None, email_sent_at(tx.session, note) if note else None) if m]
        if not moments:
            break
        told.append(min(moments))
    all_told = len(told) == len(clients)
    ready_at = max(told) + warning if all_told and told else now + warning
    if all_told and now >= ready_at:
        return True
    assert milestone.review_due_at is not None
    if ready_at - milestone.review_due_at > EXTENSION_NOTICE:
        move(tx, milestone, SUBMITTED, SUBMITTED, review_due_at=ready_at)
        tx.record(job, ev.MILESTONE_REVIEW_EXTENDED, {
            "milestone": milestone_detail(tx.session, milestone), "until": iso(ready_at),
            "reason": "warning_period" if all_told else "clients_not_told",
            "warning_hours": round(warning.total_seconds() / 3600, 2),
        }, None)
    return False


# Waiting a few minutes more for the warning to land is not worth an event in the room.
EXTENSION_NOTICE = timedelta(minutes=10)
