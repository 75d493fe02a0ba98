"""Disputes: open one on a milestone, propose resolutions, accept one (it posts to the ledger like any
money change), or withdraw. Each action is one transaction with its room event, takes an
Idempotency-Key like the other money actions, and locks the milestone row so an auto-approval round
or a second acceptance racing it waits and then sees the new state."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import Transaction, iso, transaction, utcnow
from workspace.domain import disputes as rules
from workspace.domain import ledger as ledger_rules
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Invalid, NotFound
from workspace.domain.milestones import APPROVED, CANCELLED, CHANGES_REQUESTED, SUBMITTED
from workspace.domain.money import format_money
from workspace.domain.roles import MEDIATOR
from workspace.extensions import db
from workspace.models import Agreement, Dispute, DisputeProposal, Job, Membership, Milestone, User
from workspace.services import idempotency, invoices, ledger
from workspace.services.access import load_in_job, load_member, lock_job
from workspace.services.mediators import agreed_by_both
from workspace.services.settlement import complete_if_done, move, settle
from workspace.services.views import milestone_detail

DISPUTE_NOT_FOUND = "No such dispute, or you are not a member of its job."
MILESTONE_NOT_FOUND = "No such milestone, or you are not a member of its job."
FROZEN = "This milestone is disputed: resolve or withdraw the dispute first."


def _text(value: Any, field: str, limit: int, *, required: bool) -> str:
    value = "" if value is None else value
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"The {field} is text up to {limit:,} characters.", fields={field: f"Up to {limit:,} characters."})
    if required and not value.strip():
        raise Invalid(f"Say what the {field} is.", fields={field: "Required."})
    return value.strip()


def open_dispute_for(session: Session, milestone_id: int) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.milestone_id == milestone_id, Dispute.state == rules.OPEN))


def refuse_if_disputed(session: Session, milestone: Milestone) -> None:
    """Milestone actions call this under the milestone's lock: a disputed milestone is frozen."""
    if open_dispute_for(session, milestone.id) is not None:
        raise Conflict(FROZEN, code="disputed")


def disputed_milestone_ids(session: Session, job_id: int) -> set[int]:
    return set(session.scalars(select(Dispute.milestone_id).where(Dispute.job_id == job_id,
                                                                  Dispute.state == rules.OPEN)))


def settled_milestone_ids(session: Session, job_id: int, milestone_id: int | None = None) -> set[int]:
    """Milestones whose amount a dispute settled (an amount resolution both sides accepted, or a binding
    mediator's): that settlement is final, so they are not disputed again. (A revision resolution
    reopens the work; its new delivery may be disputed like any other.)"""
    query = (select(Dispute.milestone_id).join(DisputeProposal, DisputeProposal.dispute_id == Dispute.id)
             .where(Dispute.job_id == job_id, Dispute.state == rules.RESOLVED, DisputeProposal.kind == "amount",
                    DisputeProposal.state == rules.ACCEPTED))
    if milestone_id is not None:
        query = query.where(Dispute.milestone_id == milestone_id)
    return set(session.scalars(query))


SETTLED = "A dispute settled this milestone's amount and both sides accepted it; it cannot be disputed again."


def open_dispute(actor: User, milestone_id: Any, reason: Any, *, idempotency_key: Any) -> dict[str, Any]:
    """Either side disputes a submitted, changes-requested or approved-but-unpaid milestone."""
    text = _text(reason, "reason", rules.REASON_MAX, required=True)
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        milestone, job, membership = load_in_job(tx.session, actor, Milestone, milestone_id, MILESTONE_NOT_FOUND,
                                                 lock=True)
        claim = idempotency.Claim(tx.session, actor, key, "dispute.open", milestone.id, {"reason": text})
        if claim.prior is not None:
            return claim.prior
        rules.check_open(membership.role, milestone.state)
        if settled_milestone_ids(tx.session, job.id, milestone.id):
            raise Conflict(SETTLED, code="settled")
        if open_dispute_for(tx.session, milestone.id) is not None:
            raise Conflict("This milestone is already disputed.", code="already_disputed")
        dispute = Dispute(job_id=job.id, milestone_id=milestone.id, opened_by_id=actor.id,
                          opened_by_role=membership.role, reason=text, milestone_state=milestone.state,
                          opened_at=utcnow())
        tx.session.add(dispute)
        tx.session.flush()
        result = _result(tx.session, dispute, milestone)
        tx.record(job, ev.DISPUTE_OPENED, result, actor)
        claim.remember(result)
    return result


def propose_resolution(actor: User, dispute_id: Any, body: dict[str, Any], *, idempotency_key: Any) -> dict[str, Any]:
    """A side (or the mediator) proposes: an amount to the freelancer, or a new due date and a revision.
    A newer proposal supersedes the pending one; a binding mediator's proposal takes effect at once (the
    terms make mediation binding and both sides agreed to this mediator)."""
    kind, amount, due, note = _proposal_fields(body)
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        dispute, job, membership = _load(tx.session, actor, dispute_id)
        milestone = _lock_milestone(tx.session, dispute)
        claim = idempotency.Claim(tx.session, actor, key, "dispute.propose", dispute.id,
                                  {"kind": kind, "amount": amount, "due": due.isoformat() if due else None, "note": note})
        if claim.prior is not None:
            return claim.prior
        rules.check("propose", membership.role, dispute.state)
        terms = _terms_in_force(tx.session, job)
        deadline = date.fromisoformat(terms["deadline"]) if terms.get("deadline") else None
        rules.check_resolution(kind, amount, due, milestone_amount=milestone.amount, milestone_state=milestone.state,
                               today=utcnow().date(), deadline=deadline)
        for pending in tx.session.scalars(select(DisputeProposal).where(DisputeProposal.dispute_id == dispute.id,
                                                                        DisputeProposal.state == rules.PENDING)):
            pending.state, pending.decided_at = rules.SUPERSEDED, utcnow()
        # Binding only for a mediator both sides agreed to (services/mediators.py says why).
        binding = bool(terms.get("mediation_binding")) and membership.role == MEDIATOR \
            and agreed_by_both(tx.session, job.id, actor.id)
        needs = rules.accepting_sides(membership.role, binding)
        proposal = DisputeProposal(dispute_id=dispute.id, job_id=job.id, proposed_by_id=actor.id,
                                   proposer_role=membership.role, kind=kind, amount=amount, due=due, note=note,
                                   needs=sorted(needs), accepted_by=[], created_at=utcnow())
        tx.session.add(proposal)
        tx.session.flush()
        tx.record(job, ev.DISPUTE_PROPOSED, _result(tx.session, dispute, milestone), actor)
        if not needs:  # the terms make the mediator's word binding
            _resolve(tx, job, dispute, milestone, proposal, actor)
        result = _result(tx.session, dispute, milestone)
        claim.remember(result)
    return result


def accept_resolution(actor: User, proposal_id: Any, *, idempotency_key: Any) -> dict[str, Any]:
    """The other side accepts the pending proposal: the dispute closes and the money moves."""
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        proposal, job, membership = load_in_job(tx.session, actor, DisputeProposal, proposal_id, DISPUTE_NOT_FOUND)
        dispute = tx.session.get(Dispute, proposal.dispute_id)
        assert dispute is not None
        milestone = _lock_milestone(tx.session, dispute)
        tx.session.refresh(proposal)
        tx.session.refresh(dispute)
        claim = idempotency.Claim(tx.session, actor, key, "dispute.accept", proposal.id)
        if claim.prior is not None:
            return claim.prior
        if proposal.state != rules.PENDING:
            rules.check("accept", membership.role, dispute.state)
            raise Conflict(f"This proposal is {proposal.state}; look at the latest one.", code="illegal_transition")
        rules.check_accept(membership.role, dispute.state, proposal.proposer_role, frozenset(proposal.needs),
                           set(proposal.accepted_by))
        proposal.accepted_by = sorted({*proposal.accepted_by, membership.role})
        tx.session.flush()
        if set(proposal.needs) <= set(proposal.accepted_by):
            _resolve(tx, job, dispute, milestone, proposal, actor)
        else:
            tx.record(job, ev.DISPUTE_ACCEPTED, _result(tx.session, dispute, milestone), actor)
        result = _result(tx.session, dispute, milestone)
        claim.remember(result)
    return result


def withdraw_dispute(actor: User, dispute_id: Any, *, idempotency_key: Any) -> dict[str, Any]:
    """The side that opened the dispute takes it back: the milestone carries on where it was."""
    key = idempotency.check_key(idempotency_key)
    with transaction() as tx:
        dispute, job, membership = _load(tx.session, actor, dispute_id)
        milestone = _lock_milestone(tx.session, dispute)
        tx.session.refresh(dispute)
        claim = idempotency.Claim(tx.session, actor, key, "dispute.withdraw", dispute.id)
        if claim.prior is not None:
            return claim.prior
        rules.check_withdraw(membership.role, dispute.state, dispute.opened_by_role)
        _close(tx.session, dispute, rules.WITHDRAWN, actor)
        if milestone.state == SUBMITTED and milestone.review_due_at is not None:
            # The review clock stood still while the milestone was frozen: it resumes with the time it had.
            frozen_for = (dispute.closed_at or utcnow()) - dispute.opened_at
            move(tx, milestone, SUBMITTED, SUBMITTED, review_due_at=milestone.review_due_at + frozen_for)
        tx.record(job, ev.DISPUTE_WITHDRAWN, _result(tx.session, dispute, milestone), actor)
        settle(tx, job)  # an approved milestone frozen by the dispute may be covered already
        result = _result(tx.session, dispute, milestone)
        claim.remember(result)
    return result


def list_disputes(actor: User, job_id: str) -> list[dict[str, Any]]:
    job, _membership = load_member(db.session(), actor, job_id)
    rows = db.session.scalars(select(Dispute).where(Dispute.job_id == job.id).order_by(Dispute.id))
    return [dispute_view(db.session(), d) for d in rows]


def settlements(actor: User, job_id: str) -> list[dict[str, Any]]:
    """What settled disputes changed in the terms as signed (the agreement page shows it beside them):
    per resolved dispute, its milestone and the resolution both sides accepted, oldest first."""
    changes = []
    for d in list_disputes(actor, job_id):
        accepted = next((p for p in d["proposals"] if p["state"] == rules.ACCEPTED), None)
        if d["state"] == rules.RESOLVED and accepted is not None:
            changes.append({"milestone_title": d["milestone_title"], "settled_at": d["closed_at"], **accepted})
    return changes


def _resolve(tx: Transaction, job: Job, dispute: Dispute, milestone: Milestone, proposal: DisputeProposal,
             actor: User | None) -> None:
    now = utcnow()
    proposal.state, proposal.decided_at = rules.ACCEPTED, now
    _close(tx.session, dispute, rules.RESOLVED, actor)
    if proposal.kind == rules.REVISION:
        assert proposal.due is not None
        move(tx, milestone, milestone.state, CHANGES_REQUESTED, due=proposal.due, review_due_at=None,
             revisions_included=milestone.revisions_included + 1, cancel_requested_by=None)
    else:
        awarded = proposal.amount or 0
        deposits_left = ledger.balances(tx.session, job.id)["deposits_left"]
        ledger.post(tx.session, job, ledger_rules.RESOLUTION, f"dispute:{dispute.id}",
                    rules.amount_entries(milestone.amount, awarded, milestone.state, deposits_left))
        _bill(tx, job, dispute, milestone, awarded, deposits_left)
        if awarded == 0:
            move(tx, milestone, milestone.state, CANCELLED, amount=0, review_due_at=None, cancel_requested_by=None)
        elif milestone.state == APPROVED:
            move(tx, milestone, APPROVED, APPROVED, amount=awarded)
        else:
            move(tx, milestone, milestone.state, APPROVED, amount=awarded, approved_at=now, review_due_at=None,
                 cancel_requested_by=None)
    tx.record(job, ev.DISPUTE_RESOLVED, _result(tx.session, dispute, milestone), actor)
    settle(tx, job)
    complete_if_done(tx, job)


def _bill(tx: Transaction, job: Job, dispute: Dispute, milestone: Milestone, awarded: int, deposits_left: int
          ) -> None:
    """An approved (so invoiced) milestone gets a credit note for what was not awarded; one not yet
    approved is invoiced for what was."""
    if milestone.state == APPROVED:
        if awarded < milestone.amount:
            invoices.credit_for_dispute(tx, job, dispute.id, milestone.title, milestone.amount - awarded,
                                        milestone.currency)
    elif awarded > 0:
        invoices.for_milestone(tx, job, milestone.id, milestone.title, awarded, milestone.currency,
                               advance_used=min(awarded, deposits_left))


def _close(session: Session, dispute: Dispute, state: str, actor: User | None) -> None:
    dispute.state, dispute.closed_at, dispute.closed_by_id = state, utcnow(), actor.id if actor else None
    for pending in session.scalars(select(DisputeProposal).where(DisputeProposal.dispute_id == dispute.id,
                                                                 DisputeProposal.state == rules.PENDING)):
        pending.state, pending.decided_at = rules.CLOSED, utcnow()
    session.flush()


def _load(session: Session, actor: User, dispute_id: Any) -> tuple[Dispute, Job, Membership]:
    return load_in_job(session, actor, Dispute, dispute_id, DISPUTE_NOT_FOUND)


def _lock_milestone(session: Session, dispute: Dispute) -> Milestone:
    """The milestone's row lock orders every dispute action with milestone actions and auto-approval
    (the job's first: a resolution reads the deposits left, as approvals do)."""
    lock_job(session, dispute.job_id)
    milestone = session.scalar(select(Milestone).where(Milestone.id == dispute.milestone_id).with_for_update())
    if milestone is None:  # pragma: no cover - cascades with the dispute
        raise NotFound(DISPUTE_NOT_FOUND)
    return milestone


def _terms_in_force(session: Session, job: Job) -> dict[str, Any]:
    agreement = session.scalar(select(Agreement).where(Agreement.job_id == job.id, Agreement.status == "in_force"))
    return dict(agreement.terms) if agreement is not None else {}


def _proposal_fields(body: Any) -> tuple[str, int | None, date | None, str]:
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object.", fields={})
    kind = body.get("kind")
    if kind not in rules.KINDS:
        raise Invalid("Please check the proposed resolution.", fields={"kind": "amount or revision."})
    amount = body.get("amount")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise Invalid("Please check the proposed resolution.", fields={"amount": "A whole number of minor units."})
    due_text = body.get("due")
    due = None
    if due_text is not None:
        try:
            due = date.fromisoformat(due_text) if isinstance(due_text, str) and len(due_text) == 10 else None
        except ValueError:
            due = None
        if due is None:
            raise Invalid("Please check the proposed resolution.", fields={"due": "A date as YYYY-MM-DD."})
    note = _text(body.get("note"), "note", rules.NOTE_MAX, required=False)
    if kind == rules.AMOUNT and due is not None:
        raise Invalid("Please check the proposed resolution.", fields={"due": "Only with kind revision."})
    if kind == rules.REVISION and amount is not None:
        raise Invalid("Please check the proposed resolution.", fields={"amount": "Only with kind amount."})
    return str(kind), amount, due, note


def proposal_view(p: DisputeProposal, currency: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": p.id, "kind": p.kind, "proposer_role": p.proposer_role, "proposed_by": p.proposed_by_id,
        "amount": p.amount, "due": p.due.isoformat() if p.due else None, "note": p.note,
        "needs": list(p.needs), "accepted_by": list(p.accepted_by), "state": p.state,
        "created_at": iso(p.created_at),
    }
    if p.amount is not None:
        view["amount_display"] = format_money(p.amount, currency)
    return view


def dispute_view(session: Session, d: Dispute) -> dict[str, Any]:
    milestone = session.get(Milestone, d.milestone_id)
    assert milestone is not None
    proposals = session.scalars(select(DisputeProposal).where(DisputeProposal.dispute_id == d.id)
                                .order_by(DisputeProposal.id)).all()
    return {
        "id": d.id, "milestone": d.milestone_id, "milestone_title": milestone.title, "state": d.state,
        "opened_by": d.opened_by_id, "opened_by_role": d.opened_by_role, "reason": d.reason,
        "milestone_state": d.milestone_state, "opened_at": iso(d.opened_at),
        "closed_at": iso(d.closed_at) if d.closed_at else None,
        "proposals": [proposal_view(p, milestone.currency) for p in proposals],
    }


def _result(session: Session, dispute: Dispute, milestone: Milestone) -> dict[str, Any]:
    """What every dispute action answers and its event carries: the dispute, its milestone, the money."""
    return {"dispute": dispute_view(session, dispute), "milestone": milestone_detail(session, milestone),
            "balances": ledger.balances(session, dispute.job_id)}
