"""Reminders: the deadline (3 days, 1 day, passed), each milestone (due in 2 days, overdue), the update
cadence (about to lapse, lapsed), the review window (48 h and 24 h before auto-approval), payments
sent but unconfirmed for 3 days, terms proposed and unanswered for 2 days.

Each is a notification whose `occasion` names the moment it is about (the deadline date, the
submission, the last update...), unique per person: a reminder goes out once per occasion, also
when a round runs twice or the process restarts. A changed deadline is a new occasion."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspace.db import transaction, utcnow
from workspace.domain.agreement import due_at
from workspace.domain.money import format_money
from workspace.domain.roles import CLIENT, FREELANCER
from workspace.extensions import db
from workspace.models import (
    Acceptance,
    Agreement,
    Job,
    Membership,
    Milestone,
    Notification,
    Payment,
    ProgressUpdate,
)
from workspace.services import notifications
from workspace.services.disputes import disputed_milestone_ids

DAY = timedelta(days=1)


def review_warning(window: timedelta) -> timedelta:
    """How long before auto-approval the clients are warned: 48 h, or the whole window if shorter."""
    hours = float(current_app.config.get("REVIEW_WARNING_HOURS", 48)) if has_app_context() else 48.0
    return min(timedelta(hours=hours), window)


def run(now: datetime | None = None) -> int:
    """One pass over active jobs; returns how many reminders were made."""
    now = now or utcnow()
    job_ids = list(db.session.scalars(select(Job.id).where(Job.status == "active")))
    pending_terms = list(db.session.scalars(select(Agreement.job_id).where(Agreement.status == "proposed")))
    db.fresh_snapshot()
    made = 0
    for job_id in sorted(set(job_ids) | set(pending_terms)):
        try:
            made += _remind(job_id, now)
        except IntegrityError:
            continue  # another process (`flask tasks run-once` beside a server) made them first
    return made


def _remind(job_id: int, now: datetime) -> int:
    """Work out what is due with reads only; open a write transaction only when something is new."""
    job = db.session.get(Job, job_id)
    if job is None:
        return 0
    reminder = _Reminder(db.session(), job, now)
    if job.status == "active":
        reminder.deadline()
        reminder.milestones()
        reminder.cadence()
        reminder.review_windows()
        reminder.payments()
    reminder.terms()
    due = reminder.new_ones()
    if not due:
        db.fresh_snapshot()
        return 0
    made = 0
    with transaction() as tx:
        job = tx.session.get(Job, job_id)
        assert job is not None
        for user_id, kind, occasion, title, body in due:
            made += notifications.create(tx, job, user_id, kind, occasion, title, body, None,
                                         email_due_at=now, now=now)
    return made


class _Reminder:
    """The reminders one job is due at one moment: (person, kind, occasion, title, body)."""

    def __init__(self, session: Session, job: Job, now: datetime) -> None:
        self.session, self.job, self.now = session, job, now
        self.due: list[tuple[int, str, str, str, str]] = []
        self.members = session.execute(select(Membership.user_id, Membership.role)
                                       .where(Membership.job_id == job.id)).all()
        self.terms_in_force: dict[str, Any] | None = session.scalar(
            select(Agreement.terms).where(Agreement.job_id == job.id, Agreement.status == "in_force"))
        # A disputed milestone is frozen: no due-date or review-window reminders until the dispute ends.
        self.disputed = disputed_milestone_ids(session, job.id)

    def _ids(self, *roles: str) -> list[int]:
        return [uid for uid, role in self.members if role in roles]

    def tell(self, roles: tuple[str, ...] | list[int], kind: str, occasion: str, title: str, body: str) -> None:
        ids = [r for r in roles if isinstance(r, int)] or self._ids(*[r for r in roles if isinstance(r, str)])
        self.due.extend((user_id, kind, f"{occasion}:{self.job.id}", title, body) for user_id in ids)

    def new_ones(self) -> list[tuple[int, str, str, str, str]]:
        """The due reminders nobody was sent yet (each occasion once per person)."""
        if not self.due:
            return []
        sent = set(self.session.execute(select(Notification.user_id, Notification.occasion).where(
            Notification.job_id == self.job.id,
            Notification.occasion.in_({occasion for _u, _k, occasion, _t, _b in self.due}))).all())
        return [d for d in self.due if (d[0], d[2]) not in sent]

    def deadline(self) -> None:
        if not self.terms_in_force:
            return
        due_day = date.fromisoformat(self.terms_in_force["deadline"])
        left = due_at(due_day) - self.now
        name, when = self.job.title, due_day.strftime("%-d %B %Y")
        if left < timedelta(0):
            self.tell((FREELANCER, CLIENT), "deadlines", f"deadline:passed:{due_day}",
                      f"The deadline of {name} has passed", f"It was {when}. Agree a new one in the terms if needed.")
        elif left <= DAY:
            self.tell((FREELANCER, CLIENT), "deadlines", f"deadline:1d:{due_day}",
                      f"{name} is due tomorrow", f"The agreed deadline is {when}.")
        elif left <= 3 * DAY:
            self.tell((FREELANCER, CLIENT), "deadlines", f"deadline:3d:{due_day}",
                      f"{name} is due in 3 days", f"The agreed deadline is {when}.")

    def milestones(self) -> None:
        open_ones = self.session.scalars(select(Milestone).where(
            Milestone.job_id == self.job.id, Milestone.state.in_(("planned", "changes_requested"))))
        for m in (m for m in open_ones if m.id not in self.disputed):
            left = due_at(m.due) - self.now
            when = m.due.strftime("%-d %B")
            if left < timedelta(0):  # the day has ended: the rule `views.overdue_view` uses
                self.tell((FREELANCER, CLIENT), "deadlines", f"milestone:overdue:{m.id}:{m.due}",
                          f"“{m.title}” is overdue", f"It was due {when} and has not been submitted.")
            elif left <= 2 * DAY:
                self.tell((FREELANCER,), "deadlines", f"milestone:2d:{m.id}:{m.due}",
                          f"“{m.title}” is due in 2 days", f"Due {when}.")

    def cadence(self) -> None:
        if not self.terms_in_force or self.job.status != "active":
            return
        every = timedelta(hours=int(self.terms_in_force["update_every_hours"]))
        last = self.session.scalar(select(func.max(ProgressUpdate.created_at))
                                      .where(ProgressUpdate.job_id == self.job.id))
        if last is None:
            last = self.session.scalar(select(func.min(Agreement.in_force_at)).where(
                Agreement.job_id == self.job.id, Agreement.in_force_at.is_not(None)))
        if last is None:
            return
        stamp = int(last.timestamp())
        due = last + every
        soon = min(timedelta(hours=4), every / 4)
        if self.now >= due:
            self.tell((FREELANCER,), "deadlines", f"cadence:lapsed:{stamp}",
                      f"Your update for {self.job.title} is overdue",
                      f"You promised an update every {every.total_seconds() / 3600:g} h. Post progress in the room.")
        elif self.now >= due - soon:
            self.tell((FREELANCER,), "deadlines", f"cadence:soon:{stamp}",
                      f"An update for {self.job.title} is due soon",
                      f"You promised one every {every.total_seconds() / 3600:g} h.")

    def review_windows(self) -> None:
        from workspace.models import Submission

        rows = self.session.execute(select(Milestone, Submission).join(
            Submission, Submission.milestone_id == Milestone.id).where(
            Milestone.job_id == self.job.id, Milestone.state == "submitted", Submission.decision.is_(None),
            Milestone.review_due_at.is_not(None))).all()
        for m, s in ((m, s) for m, s in rows if m.id not in self.disputed):
            assert m.review_due_at is not None
            left = m.review_due_at - self.now
            warning = review_warning(s.review_due_at - s.submitted_at)
            amount = format_money(m.amount, m.currency)
            if left <= warning:
                self.tell((CLIENT,), "review_window", warning_occasion(m.id, s.number),
                          f"Review “{m.title}”: it is approved automatically in {_hours(left)}",
                          f"If you do nothing, {amount} becomes owed. Approve it or ask for changes.")
            if left <= min(DAY, warning / 2):
                self.tell((CLIENT,), "review_window", f"review:24h:{m.id}:{s.number}",
                          f"Last day to review “{m.title}”",
                          f"It is approved automatically in {_hours(left)} and {amount} becomes owed.")

    def payments(self) -> None:
        late = self.session.scalars(select(Payment).where(
            Payment.job_id == self.job.id, Payment.status == "sent", Payment.sent_at <= self.now - 3 * DAY))
        for p in late:
            self.tell((FREELANCER,), "money", f"payment:unconfirmed:{p.id}",
                      f"Did {format_money(p.amount, p.currency)} arrive?",
                      "The client sent it 3 days ago. Confirm it once it is in your account, or say it did not arrive.")

    def terms(self) -> None:
        proposals = self.session.scalars(select(Agreement).where(
            Agreement.job_id == self.job.id, Agreement.status == "proposed",
            Agreement.proposed_at <= self.now - 2 * DAY))
        for a in proposals:
            accepted = set(self.session.scalars(select(Acceptance.user_id)
                                                   .where(Acceptance.agreement_id == a.id)))
            waiting = [uid for uid, role in self.members
                       if role in (FREELANCER, CLIENT) and uid not in accepted and uid != a.proposed_by_id]
            if waiting:
                self.tell(waiting, "terms", f"terms:pending:{a.id}",
                          f"Terms version {a.version} of {self.job.title} are waiting for you",
                          "They were proposed 2 days ago. Accept them or propose changes.")


def warning_occasion(milestone_id: int, number: int) -> str:
    """The occasion key of the first review-window warning of one submission (auto-approval waits on it)."""
    return f"review:warn:{milestone_id}:{number}"


def _hours(left: timedelta) -> str:
    hours = max(0, int(left.total_seconds() // 3600))
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
