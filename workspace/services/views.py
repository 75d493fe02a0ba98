"""Read models: the dicts that the API, the pages and the room events all share."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspace.db import iso, utcnow
from workspace.domain import agreement as terms_rules
from workspace.domain import event_types as ev
from workspace.domain import ledger as ledger_rules
from workspace.domain.errors import DomainError
from workspace.domain.milestones import APPROVED, extra_work_to_price, next_state
from workspace.domain.money import PAYMENT_METHODS, exponent, format_money, to_major
from workspace.domain.roles import CLIENT, FREELANCER, PENDING_CLIENT, can
from workspace.models import (
    Acceptance, Agreement, Attachment, Event, Invite, Job, Membership, Milestone, Payment, ProgressUpdate, Review,
    Submission, User,
)
from workspace.services.ledger import balances


def settled_milestone_ids(session: Session, job_id: int) -> set[int]:
    """The milestones a dispute settled for good (services/disputes.py owns the rule)."""
    from workspace.services.disputes import settled_milestone_ids as ids

    return ids(session, job_id)


def disputed_milestone_ids(session: Session, job_id: int) -> set[int]:
    """The milestones frozen by an open dispute (services/disputes.py owns the rule; imported late, as
    it imports this module)."""
    from workspace.services.disputes import disputed_milestone_ids as ids

    return ids(session, job_id)


def user_ref(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name}


def profile_url(profile_id: str | None) -> str | None:
    """Where someone's public profile is, if they have one (only people who freelance do)."""
    return f"/people/{profile_id}" if profile_id else None


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "email": user.email, "created_at": iso(user.created_at),
            "profile_url": profile_url(user.profile_id)}


def money_fields(currency: str, **amounts: int) -> dict[str, Any]:
    """The shape every money-bearing view shares: currency, its ISO 4217 exponent, and each amount
    formatted for people by the server (`display`), so the browser never derives decimals."""
    return {"currency": currency, "exponent": exponent(currency),
            "display": {name: format_money(int(n), currency) for name, n in amounts.items()}}


def _agreement_money(terms: dict[str, Any]) -> dict[str, Any]:
    currency = terms["currency"]
    money = money_fields(currency, total=terms_rules.total(terms), upfront_due=terms_rules.upfront_due(terms))
    money["display"]["milestones"] = [format_money(int(m["amount"]), currency) for m in terms["milestones"]]
    return money


def agreement_view(session: Session, agreement: Agreement) -> dict[str, Any]:
    """One version with its terms, totals and who accepted it."""
    names = _names(session, [agreement.proposed_by_id])
    acceptances = session.execute(
        select(Acceptance, User.name).join(User, User.id == Acceptance.user_id)
        .where(Acceptance.agreement_id == agreement.id).order_by(Acceptance.id)
    ).all()
    return {
        "version": agreement.version,
        "status": agreement.status,
        "terms": agreement.terms,
        "terms_hash": agreement.terms_hash,
        "total": terms_rules.total(agreement.terms),
        "upfront_due": terms_rules.upfront_due(agreement.terms),
        "proposed_by": {"id": agreement.proposed_by_id, "name": names.get(agreement.proposed_by_id)},
        "proposed_at": iso(agreement.proposed_at),
        "in_force_at": iso(agreement.in_force_at) if agreement.in_force_at else None,
        "acceptances": [
            {"user": {"id": a.user_id, "name": name}, "role": a.role, "at": iso(a.accepted_at),
             "terms_hash": a.terms_hash}
            for a, name in acceptances
        ],
        "awaiting": _awaiting(session, agreement, {a.user_id for a, _name in acceptances}),
        **_agreement_money(agreement.terms),
    }


def _awaiting(session: Session, agreement: Agreement, accepted: set[int]) -> list[dict[str, Any]]:
    """Who this version still waits for: while proposed, the freelancer and every client who have not
    accepted it (services/agreements.py puts it in force when nobody is left); in force, the clients
    still joining (pending), until they accepted it and every full client admitted them: each says
    whether they `accepted` it, who `admitted_by` them and whose admission they are `waiting_for`.
    Other versions wait for nobody."""
    if agreement.status not in ("proposed", "in_force"):
        return []
    roles = (FREELANCER, CLIENT) if agreement.status == "proposed" else (CLIENT, PENDING_CLIENT)
    rows = session.execute(
        select(Membership.user_id, Membership.role, User.name).join(User, User.id == Membership.user_id)
        .where(Membership.job_id == agreement.job_id, Membership.role.in_(roles)).order_by(Membership.id)
    ).all()
    if agreement.status == "proposed":
        return [{"user": {"id": uid, "name": name}, "role": role} for uid, role, name in rows if uid not in accepted]
    clients = [{"id": uid, "name": name} for uid, role, name in rows if role == CLIENT]
    joining = [(uid, name) for uid, role, name in rows if role == PENDING_CLIENT]
    admitted = admissions(session, agreement.job_id, [uid for uid, _name in joining])
    return [{"user": {"id": uid, "name": name}, "role": PENDING_CLIENT, "accepted": uid in accepted,
             "admitted_by": [c for c in clients if c["id"] in admitted[uid]],
             "waiting_for": [c for c in clients if c["id"] not in admitted[uid]]} for uid, name in joining]


def admissions(session: Session, job_id: int, user_ids: list[int]) -> dict[int, set[int]]:
    """Who admitted each of these members during their current membership: the actors of
    `member.admitted` events about them since they last joined, and whoever made the invitation they
    joined with (a client inviting a colleague admits them). Derived from the log; nothing else stored."""
    found: dict[int, set[int]] = {uid: set() for uid in user_ids}
    if not user_ids:
        return found
    for type_, actor_id, data in session.execute(
        select(Event.type, Event.actor_id, Event.data)
        .where(Event.job_id == job_id, Event.type.in_((ev.MEMBER_JOINED, ev.MEMBER_ADMITTED))).order_by(Event.seq)
    ):
        subject = ((data or {}).get("user") or {}).get("id")
        if subject not in found:
            continue
        if type_ == ev.MEMBER_JOINED:
            found[subject] = set()  # a new membership: earlier admissions were for someone since removed
        elif actor_id is not None:
            found[subject].add(actor_id)
    invites = session.execute(
        select(Invite.accepted_by_id, Invite.created_by_id)
        .where(Invite.job_id == job_id, Invite.accepted_by_id.in_(user_ids)).order_by(Invite.accepted_at, Invite.id)
    ).all()
    inviter = {joined: by for joined, by in invites}  # the last link each one used: the current membership
    for uid, by in inviter.items():
        if uid is not None:
            found[uid].add(by)
    return found


def admission_view(session: Session, job_id: int, membership: Membership, user: dict[str, Any]) -> dict[str, Any]:
    """Where one member stands on joining as a client: their role, whether they accepted the terms in
    force, which full clients admitted them and whose admission they still wait for."""
    accepted = session.scalar(
        select(Acceptance.id).join(Agreement, Agreement.id == Acceptance.agreement_id)
        .where(Agreement.job_id == job_id, Agreement.status == "in_force", Acceptance.user_id == membership.user_id)
    ) is not None
    clients = session.execute(
        select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.job_id == job_id, Membership.role == CLIENT, Membership.user_id != membership.user_id)
        .order_by(Membership.id)
    ).all()
    admitted = admissions(session, job_id, [membership.user_id])[membership.user_id]
    return {"user": user, "role": membership.role, "accepted": accepted,
            "admitted_by": [{"id": uid, "name": name} for uid, name in clients if uid in admitted],
            "waiting_for": [] if membership.role == CLIENT else
            [{"id": uid, "name": name} for uid, name in clients if uid not in admitted]}


def with_admit_actions(view: dict[str, Any], membership: Membership) -> dict[str, Any]:
    """An in-force agreement view as `membership` sees it: each joining client waiting for this
    member's admission offers `admit` (the page shows the button only then)."""
    for waiting in view["awaiting"]:
        if waiting["role"] == PENDING_CLIENT:
            waiting["actions"] = ["admit"] if membership.role == CLIENT and any(
                c["id"] == membership.user_id for c in waiting["waiting_for"]) else []
    return view

def _to_deliver(state: str) -> bool:
    """Whether the freelancer still owes this milestone's work (the state table lets them submit it)."""
    try:
        next_state(state, "submit", FREELANCER)
    except DomainError:
        return False
    return True


def overdue_view(due: date, state: str, now: datetime | None = None) -> dict[str, Any]:
    """A milestone is overdue once its due day has ended (UTC, `terms_rules.due_at`) while its work is
    still to deliver (planned, or changes requested). `due_at` is that moment; `overdue_at` is it too
    while the milestone can still become overdue (else null), so an open page turns the flag on when
    the moment passes without a rule of its own."""
    moment = terms_rules.due_at(due)
    open_ = _to_deliver(state)
    return {"due_at": iso(moment), "overdue": open_ and (now or utcnow()) > moment,
            "overdue_at": iso(moment) if open_ else None}


def milestone_view(m: Milestone, submission: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": m.id, "position": m.position, "title": m.title, "amount": m.amount,
        "currency": m.currency, "due": m.due.isoformat(), **overdue_view(m.due, m.state), "state": m.state,
        "criteria": list(m.criteria or []), "revisions_included": m.revisions_included,
        "revisions_used": m.revisions_used,
        "submitted_at": iso(m.submitted_at) if m.submitted_at else None,
        "review_due_at": iso(m.review_due_at) if m.review_due_at else None,
        "approved_at": iso(m.approved_at) if m.approved_at else None,
        "auto_approved": m.auto_approved, "paid_at": iso(m.paid_at) if m.paid_at else None,
        "cancel_requested_by": m.cancel_requested_by, "submission": submission,
        **money_fields(m.currency, amount=m.amount),
    }


def submission_view(session: Session, s: Submission) -> dict[str, Any]:
    from workspace.rendering import render_markdown
    from workspace.services.attachments import attachment_view

    files = session.scalars(select(Attachment).where(Attachment.submission_id == s.id).order_by(Attachment.id))
    return {
        "id": s.id, "number": s.number, "note": s.note, "html": render_markdown(s.note),
        "submitted_at": iso(s.submitted_at), "review_due_at": iso(s.review_due_at),
        "decision": s.decision, "decided_at": iso(s.decided_at) if s.decided_at else None,
        "reason": s.reason, "criteria": list(s.criteria or []), "out_of_scope": s.out_of_scope,
        "revision": s.revision, "attachments": [attachment_view(a) for a in files],
    }


def milestone_detail(session: Session, m: Milestone) -> dict[str, Any]:
    """A milestone with its latest submission: the full entity that events and the panel share."""
    latest = session.scalar(select(Submission).where(Submission.milestone_id == m.id)
                            .order_by(Submission.number.desc()).limit(1))
    return milestone_view(m, submission_view(session, latest) if latest else None)


def members_view(session: Session, job: Job) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Membership, User.name, User.profile_id).join(User, User.id == Membership.user_id)
        .where(Membership.job_id == job.id).order_by(Membership.id)
    ).all()
    return [{"id": m.user_id, "name": name, "role": m.role, "joined_at": iso(m.joined_at),
             "last_read_seq": m.last_read_seq,
             "profile_url": profile_url(profile) if m.role == FREELANCER else None}
            for m, name, profile in rows]


def progress_view(session: Session, job: Job, in_force: Agreement | None) -> dict[str, Any]:
    """Overall percent, the last update's time, and when the next one is due by the promised cadence."""
    last = session.scalar(select(ProgressUpdate).where(ProgressUpdate.job_id == job.id)
                          .order_by(ProgressUpdate.id.desc()).limit(1))
    every = in_force.terms["update_every_hours"] if in_force else None
    since = last.created_at if last else (in_force.in_force_at if in_force else None)
    return {
        "percent": last.percent if last else 0,
        "last_update_at": iso(last.created_at) if last else None,
        "update_every_hours": every,
        "next_update_due": iso(since + timedelta(hours=every)) if every and since else None,
    }


def job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.public_id, "title": job.title, "description": job.description,
        "status": job.status, "created_at": iso(job.created_at), "last_seq": job.last_seq,
    }


def job_view(session: Session, job: Job, membership: Membership) -> dict[str, Any]:
    """Everything a member sees of a job: members, terms in force and pending, milestones."""
    versions = session.scalars(
        select(Agreement).where(Agreement.job_id == job.id, Agreement.status.in_(("in_force", "proposed")))
    ).all()
    in_force = next((a for a in versions if a.status == "in_force"), None)
    pending = next((a for a in versions if a.status == "proposed"), None)
    milestones = session.scalars(
        select(Milestone).where(Milestone.job_id == job.id).order_by(Milestone.position)
    ).all()
    role = membership.role
    figures = balances(session, job.id)
    currency = in_force.terms["currency"] if in_force else None
    pays = payments_view(session, job.id)
    disputed = disputed_milestone_ids(session, job.id)
    settled = settled_milestone_ids(session, job.id)
    view = job_summary(job)
    view.update({
        "role": membership.role,
        "members": members_view(session, job),
        "agreement": with_admit_actions(agreement_view(session, in_force), membership) if in_force else None,
        "pending_agreement": agreement_view(session, pending) if pending else None,
        "milestones": [for_member(milestone_detail(session, m), role, figures["deposits_left"], m.id in disputed,
                                  owed=figures["owed"], settled=m.id in settled) for m in milestones],
        # Outside each milestone entity (events carry milestones as facts; whether one is disputed now
        # is read from the open disputes): the ids the page marks as frozen.
        "disputed_milestones": sorted(disputed),
        "disputes": disputes_view(session, job, role, {m.id: m for m in milestones}),
        "mediators": _mediators(session, job, role, in_force),
        "invoices": invoices_view(session, job),
        "payment_instructions": payment_instructions(session, job, figures, currency),
        "progress": progress_view(session, job, in_force),
        "balances": balances_view(figures, currency, pays, role),
        "payments": [{**p, "actions": payment_actions(p, role)} for p in pays],
        "last_read_seq": membership.last_read_seq,
        "my_review": my_review_view(session, job, membership.user_id),
        "live": live_now(session, job),
        "snapshot_seconds": job.snapshot_seconds,
        "limits": limits(),
    })
    return view


def limits() -> dict[str, int]:
    """The limits the server enforces that a page checks before sending (so it never hard-codes them)."""
    from workspace.services.messages import BODY_MAX

    return {"message_chars": BODY_MAX}


def milestone_actions(m: dict[str, Any], role: str, disputed: bool = False, settled: bool = False) -> list[str]:
    """What `role` may do to milestone view `m` now, from the state table (the page shows only these).
    A disputed milestone is frozen: nothing but the dispute (answered in its banner) until it closes;
    one that may be disputed (and whose amount no dispute settled) offers `dispute` to the freelancer
    and the clients."""
    from workspace.domain import disputes as dispute_rules

    if disputed:
        return []
    actions = []
    for action in ("submit", "approve", "request_changes", "cancel"):
        try:
            next_state(m["state"], action, role)
        except DomainError:
            continue
        if action == "cancel" and m["cancel_requested_by"] == role:
            continue  # already asked; the other side agrees or not
        actions.append(action)
    s = m["submission"]
    if s is not None and can(role, "change_order.propose") and extra_work_to_price(
            m["state"], s["decision"], s["out_of_scope"], s["revision"], m["revisions_included"]):
        actions.append("price")
    if role in dispute_rules.ACTIONS["open"][0] and m["state"] in dispute_rules.DISPUTABLE and not settled:
        actions.append("dispute")
    return actions


def for_member(m: dict[str, Any], role: str, deposits_left: int, disputed: bool = False, *,
               owed: int = 0, settled: bool = False) -> dict[str, Any]:
    """A milestone view with this member's `actions`; approving also says what it will cost now:
    how much the up-front amount covers, what is added to what the client owes, and what they will
    owe in all (an up-front amount not paid yet is owed already)."""
    view = {**m, "actions": milestone_actions(m, role, disputed, settled)}
    if "approve" in view["actions"]:
        entries = dict(ledger_rules.milestone_approved(m["amount"], deposits_left))
        from_deposits, payable = entries.get("deposits", 0), entries.get("client", 0)
        owed_after = owed + payable
        view["on_approve"] = {"from_deposits": from_deposits, "payable": payable, "owed_after": owed_after,
                              **money_fields(m["currency"], from_deposits=from_deposits, payable=payable,
                                             owed_after=owed_after)}
    return view


RECENT_CLOSED_DISPUTES = 3  # closed disputes the page still tells (the full list is GET .../disputes)


def _mediators(session: Session, job: Job, role: str, in_force: Agreement | None) -> list[dict[str, Any]]:
    from workspace.services.mediators import mediators_view

    return mediators_view(session, job, role, bool(in_force and in_force.terms.get("mediation_binding")))


def disputes_view(session: Session, job: Job, role: str, milestones: dict[int, Milestone]) -> list[dict[str, Any]]:
    """Open disputes and the few latest closed ones, newest first, each with what this member may do:
    `propose` (and which `kinds`), `withdraw`, and on the pending proposal `accept`."""
    from workspace.domain import disputes as rules
    from workspace.models import Dispute
    from workspace.services.disputes import dispute_view

    rows = session.scalars(select(Dispute).where(Dispute.job_id == job.id).order_by(Dispute.id.desc())).all()
    shown = [d for d in rows if d.state == rules.OPEN] + [d for d in rows if d.state != rules.OPEN][
        :RECENT_CLOSED_DISPUTES]
    views = []
    for d in shown:
        view = dispute_view(session, d)
        m = milestones.get(d.milestone_id)
        if m is not None:
            view.update({"milestone_amount": m.amount, "milestone_state": m.state,
                         **money_fields(m.currency, milestone_amount=m.amount)})
        actions: list[str] = []
        if d.state == rules.OPEN:
            if role in rules.ACTIONS["propose"][0]:
                actions.append("propose")
            if role in rules.ACTIONS["withdraw"][0] and role == d.opened_by_role:
                actions.append("withdraw")
        view["actions"] = actions
        view["kinds"] = [rules.AMOUNT] if m is None or m.state == APPROVED else list(rules.KINDS)
        for p in view["proposals"]:
            may_accept = (d.state == rules.OPEN and p["state"] == rules.PENDING and role in rules.ACTIONS["accept"][0]
                          and role != p["proposer_role"] and role in p["needs"] and role not in p["accepted_by"])
            p["actions"] = ["accept"] if may_accept else []
        view["pending"] = next((p for p in reversed(view["proposals"]) if p["state"] == rules.PENDING), None)
        views.append(view)
    return views


def invoices_view(session: Session, job: Job) -> list[dict[str, Any]]:
    """The job's invoices and credit notes, newest first (each with its PDF's address)."""
    from workspace.models import Invoice
    from workspace.services.invoices import invoice_view

    rows = session.scalars(select(Invoice).where(Invoice.job_id == job.id).order_by(Invoice.number.desc()))
    return [invoice_view(i, job.public_id) for i in rows]


def payment_instructions(session: Session, job: Job, figures: dict[str, int], currency: str | None
                         ) -> dict[str, Any]:
    """Where the client pays: the freelancer's ways to be paid in this job, whom, the invoice number to
    quote as the reference, and what is owed now."""
    from workspace.services.billing import freelancer_details
    from workspace.services.invoices import latest_open_reference

    details = freelancer_details(session, job)
    view: dict[str, Any] = {"payee": details["name"], "methods": details["payment_methods"],
                            "reference": latest_open_reference(session, job), "owed": figures["owed"]}
    if currency is not None:
        view.update(money_fields(currency, owed=figures["owed"]))
    return view


def payment_actions(p: dict[str, Any], role: str) -> list[str]:
    """What the person may do with a payment: answer a sent one; confirm one marked not received that
    arrived after all."""
    if not can(role, "payment.confirm"):
        return []
    return {"sent": ["confirm", "dispute"], "disputed": ["confirm"]}.get(p["status"], [])


def balances_view(figures: dict[str, int], currency: str | None, payments: list[dict[str, Any]],
                  role: str) -> dict[str, Any]:
    """The ledger's figures plus what is sent and unconfirmed, what can be paid now, and their display."""
    pending = sum(p["amount"] for p in payments if p["status"] == "sent")
    view: dict[str, Any] = {**figures, "pending": pending, "payable": max(0, figures["owed"] - pending)}
    if currency is None:
        return {**view, "currency": None, "exponent": None, "display": {}, "major": {}, "actions": []}
    view.update(money_fields(currency, **view))
    view["major"] = {"payable": to_major(view["payable"], currency)}  # prefills the payment form
    view["actions"] = ["pay"] if view["payable"] > 0 and can(role, "payment.send") else []
    return view


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def payments_view(session: Session, job_id: int) -> list[dict[str, Any]]:
    return [payment_view(session, p) for p in session.scalars(select(Payment).where(Payment.job_id == job_id)
                                                                 .order_by(Payment.id))]


def payment_view(session: Session, p: Payment) -> dict[str, Any]:
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(
        [i for i in (p.sent_by_id, p.confirmed_by_id) if i is not None]))).all())
    return {
        "id": p.id, "amount": p.amount, "currency": p.currency, "method": p.method,
        "method_label": PAYMENT_METHODS.get(p.method, p.method), "reference": p.reference, "note": p.note,
        "status": p.status, "sent_by": {"id": p.sent_by_id, "name": names.get(p.sent_by_id)},
        "sent_at": iso(p.sent_at), "confirmed_at": iso(p.confirmed_at) if p.confirmed_at else None,
        "confirmed_by": {"id": p.confirmed_by_id, "name": names.get(p.confirmed_by_id)} if p.confirmed_by_id else None,
        "dispute_reason": p.dispute_reason,
        "receipt_url": f"/api/v1/payments/{p.id}/receipt.pdf" if p.status == "confirmed" else None,
        **money_fields(p.currency, amount=p.amount),
    }


def my_review_view(session: Session, job: Job, user_id: int) -> dict[str, Any] | None:
    review = session.scalar(select(Review).where(Review.job_id == job.id, Review.author_id == user_id))
    return {"rating": review.rating, "text": review.text, "created_at": iso(review.created_at)} if review else None


def live_now(session: Session, job: Job) -> dict[str, Any] | None:
    from workspace.services.live import active, session_view

    s = active(session, job.id)
    return session_view(session, s) if s else None
