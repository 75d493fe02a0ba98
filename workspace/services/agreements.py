"""Proposing and accepting agreement versions. A version comes into force when the freelancer and
every client of the job (never a viewer, never a client still pending) have accepted its exact terms;
this is checked at each acceptance and whenever the set of clients changes (a client removed). A
client still pending becomes a full client when they accepted the terms in force and every full
client admitted them (`promote_if_ready`)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workspace.domain.ids import is_id
from workspace.db import Transaction, transaction, utcnow
from workspace.domain import event_types as ev
from workspace.domain import ledger as ledger_rules
from workspace.domain.agreement import terms_hash, total, upfront_due, validate_terms
from workspace.domain.errors import Conflict, Forbidden, Invalid, NotFound
from workspace.domain.roles import CLIENT, FREELANCER, PENDING_CLIENT, SIGNING_ROLES, becomes_client
from workspace.extensions import db
from workspace.models import Acceptance, Agreement, Job, Membership, Milestone, User
from workspace.services import invoices, ledger
from workspace.services.access import load_member, require
from workspace.services.milestones import apply_plan
from workspace.services.views import admissions, agreement_view, money_fields


def _today() -> date:
    return datetime.now(timezone.utc).date()


COMPLETED_TERMS = "This job is complete: its terms no longer change. For more work, start a new job."


def terms_problems(job: dict[str, Any], raw_terms: Any) -> dict[str, str]:
    """What proposing `raw_terms` in `job` (its view, with the terms in force) would refuse, field by
    field, without proposing: a form with other mistakes still names all of them at once."""
    in_force = job.get("agreement")
    try:
        terms = validate_terms(raw_terms, _today(), in_force["terms"] if in_force else None)
    except Invalid as exc:
        return dict(exc.fields or {})
    row = db.session.scalar(select(Job).where(Job.public_id == job["id"]))
    milestones, settled = _underway(db.session(), row) if row is not None else ([], set())
    return underway_problems(milestones, in_force["terms"] if in_force else None, terms, settled)


UNDERWAY = ("submitted", "changes_requested", "approved", "paid")


def underway_problems(milestones: list[dict[str, Any]], in_force: dict[str, Any] | None,
                      terms: dict[str, Any], settled: set[int]) -> dict[str, str]:
    """A new version cannot move money that is already moving: a milestone submitted, approved or paid
    (or whose amount a dispute settled) keeps its place and the amount of the terms in force. The ledger
    moves the agreed total by the terms' difference, and the job's milestones past `planned` never
    change, so otherwise the two would disagree. `milestones`: the job's, as views (position, state)."""
    if in_force is None:
        return {}
    problems = {}
    agreed, new = in_force["milestones"], terms.get("milestones") or []
    for m in milestones:
        i = m["position"]
        if i >= len(agreed) or not (m["state"] in UNDERWAY or m["id"] in settled):
            continue
        why = "settled by a dispute" if m["id"] in settled else m["state"].replace("_", " ")
        if i >= len(new):
            problems[f"milestones.{i}"] = f"“{m['title']}” is {why}: it stays in the terms."
        elif new[i].get("amount") != agreed[i]["amount"]:
            problems[f"milestones.{i}.amount"] = f"“{m['title']}” is {why}: its amount stays as agreed."
    return problems


def _underway(session: Session, job: Job) -> tuple[list[dict[str, Any]], set[int]]:
    from workspace.services.disputes import settled_milestone_ids

    rows = session.execute(select(Milestone.id, Milestone.position, Milestone.state, Milestone.title)
                           .where(Milestone.job_id == job.id)).all()
    return ([{"id": i, "position": p, "state": st, "title": t} for i, p, st, t in rows],
            settled_milestone_ids(session, job.id))


def propose_agreement(actor: User, job_id: str, raw_terms: Any) -> dict[str, Any]:
    """A new immutable version; proposing counts as the proposer's acceptance. A milestone carried
    over from the terms in force may keep its due date even once that date has passed."""
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "agreement.propose", "Accept the terms in force first; then you can propose changes."
                if membership.role == PENDING_CLIENT else "Viewers cannot propose terms.")
        if job.status == "completed":
            raise Conflict(COMPLETED_TERMS, code="job_completed")
        current = tx.session.scalars(
            select(Agreement).where(Agreement.job_id == job.id, Agreement.status.in_(("in_force", "proposed")))
        ).all()
        in_force = next((v for v in current if v.status == "in_force"), None)
        terms = validate_terms(raw_terms, _today(), in_force.terms if in_force else None)
        if problems := underway_problems(*_with(_underway(tx.session, job), in_force, terms)):
            raise Invalid("Some milestones are already underway.", fields=problems)
        digest = terms_hash(terms)
        if in_force is not None and in_force.terms["currency"] != terms["currency"]:
            raise Invalid("The currency cannot change once terms are in force.",
                          fields={"currency": f"Stays {in_force.terms['currency']}."})
        for version in current:
            if version.terms_hash == digest:
                raise Conflict(f"These terms are the same as version {version.version}; change something first.")
        number = (tx.session.scalar(select(func.max(Agreement.version)).where(Agreement.job_id == job.id)) or 0) + 1
        for version in current:
            if version.status == "proposed":
                version.status = "superseded"
        agreement = Agreement(job_id=job.id, version=number, proposed_by_id=actor.id, terms=terms,
                              terms_hash=digest, status="proposed")
        tx.session.add(agreement)
        tx.session.flush()
        tx.session.add(Acceptance(agreement_id=agreement.id, user_id=actor.id, role=membership.role,
                                  terms_hash=digest))
        tx.session.flush()
        view = agreement_view(tx.session, agreement)
        tx.record(job, ev.AGREEMENT_PROPOSED, {"agreement": view}, actor)
    return view


def accept_agreement(actor: User, job_id: str, version: Any, expected_hash: Any = None) -> dict[str, Any]:
    """Accept the exact terms of `version`; the last missing acceptance (freelancer and every client)
    puts it in force. A pending client accepting the version in force becomes a full client once
    every full client admitted them too (services/members.py `admit_client`)."""
    if not is_id(version):
        raise NotFound("No such agreement version.")
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id, lock=True)
        require(membership, "agreement.accept", "Viewers cannot accept terms.")
        agreement = tx.session.scalar(
            select(Agreement).where(Agreement.job_id == job.id, Agreement.version == version)
        )
        if agreement is None:
            raise NotFound(f"This job has no version {version} of the agreement.")
        if expected_hash is not None and expected_hash != agreement.terms_hash:
            raise Conflict("The terms you reviewed are not the terms of this version. Reload and review again.",
                           code="terms_changed")
        if agreement.status == "proposed" and job.status == "completed":
            raise Conflict(COMPLETED_TERMS, code="job_completed")
        if agreement.status in ("superseded", "replaced"):
            latest = tx.session.scalar(select(func.max(Agreement.version)).where(Agreement.job_id == job.id))
            raise Conflict(f"Version {version} was superseded by version {latest}. Review the latest terms.",
                           code="superseded")
        pending_client = membership.role == PENDING_CLIENT
        if pending_client and agreement.status != "in_force":
            raise Forbidden(f"Accept the terms in force (version {job.in_force_version}) first; "
                            "then you can take part in new versions.")
        if agreement.status == "proposed" and (stale := stale_problems(tx.session, job, agreement)):
            raise Conflict(f"Version {agreement.version} would change milestones that are underway since it was "
                           "proposed (" + " ".join(stale.values()) + "). Propose a new version.",
                           code="milestones_underway")
        already = tx.session.scalar(
            select(Acceptance).where(Acceptance.agreement_id == agreement.id, Acceptance.user_id == actor.id)
        )
        if already is None:
            # Joining the terms in force binds only the newcomer: nobody else's acceptance is touched.
            tx.session.add(Acceptance(agreement_id=agreement.id, user_id=actor.id, role=membership.role,
                                      terms_hash=agreement.terms_hash))
            tx.session.flush()
        # A joining client is a party only once every full client admitted them too (or none is left).
        became_client = pending_client and promote_if_ready(tx, job, membership)
        if already is None or became_client:
            data: dict[str, Any] = {
                "version": agreement.version, "terms_hash": agreement.terms_hash, "role": membership.role,
            }
            if pending_client:
                data["became_client"] = became_client
            tx.record(job, ev.AGREEMENT_ACCEPTED, data, actor)
            if agreement.status == "proposed":
                reevaluate(tx, job)
        view = agreement_view(tx.session, agreement)
    return view


def promote_if_ready(tx: Transaction, job: Job, membership: Membership, admitted_now: int | None = None) -> bool:
    """Make a joining client a full client if they accepted the terms in force and every current full
    client admitted them (domain/roles.py `becomes_client`); True when this promoted them.
    `admitted_now`: a client whose admission is being recorded in this transaction."""
    if membership.role != PENDING_CLIENT or job.in_force_version is None:
        return False
    tx.session.flush()
    accepted = tx.session.scalar(
        select(Acceptance.id).join(Agreement, Agreement.id == Acceptance.agreement_id)
        .where(Agreement.job_id == job.id, Agreement.status == "in_force", Acceptance.user_id == membership.user_id)
    ) is not None
    clients = tx.session.scalars(select(Membership.user_id).where(Membership.job_id == job.id,
                                                                  Membership.role == CLIENT)).all()
    admitted = admissions(tx.session, job.id, [membership.user_id])[membership.user_id]
    if admitted_now is not None:
        admitted.add(admitted_now)
    if not becomes_client(accepted, clients, admitted):
        return False
    membership.role = CLIENT
    tx.session.flush()
    return True


def reevaluate(tx: Transaction, job: Job) -> None:
    """Put the pending version in force if everyone who must accept it now has. Called at each
    acceptance and when a client leaves: removing the last client who had not accepted brings the
    version into force for those who all did (a client who joins only adds someone to wait for)."""
    pending = tx.session.scalar(
        select(Agreement).where(Agreement.job_id == job.id, Agreement.status == "proposed")
    )
    if pending is not None and _all_parties_accepted(tx.session, pending) and not stale_problems(tx.session, job, pending):
        _put_in_force(tx, job, pending)


def stale_problems(session: Session, job: Job, pending: Agreement) -> dict[str, str]:
    """What a version proposed earlier would change in milestones that got underway since."""
    in_force = session.scalar(select(Agreement).where(Agreement.job_id == job.id, Agreement.status == "in_force"))
    return underway_problems(*_with(_underway(session, job), in_force, pending.terms))


def _with(underway: tuple[list[dict[str, Any]], set[int]], in_force: Agreement | None,
          terms: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, Any], set[int]]:
    milestones, settled = underway
    return milestones, in_force.terms if in_force else None, terms, settled


def _all_parties_accepted(session: Session, agreement: Agreement) -> bool:
    """The freelancer and every current client accepted (a viewer never counts; there is at least one
    client). Acceptances of people no longer members do not count."""
    signers = session.execute(select(Membership.user_id, Membership.role).where(
        Membership.job_id == agreement.job_id, Membership.role.in_(SIGNING_ROLES))).all()
    if not any(role == CLIENT for _uid, role in signers) or not any(role == FREELANCER for _uid, role in signers):
        return False
    accepted = set(session.scalars(select(Acceptance.user_id).where(Acceptance.agreement_id == agreement.id)))
    return all(uid in accepted for uid, _role in signers)


def _put_in_force(tx: Transaction, job: Job, agreement: Agreement) -> None:
    previous = tx.session.scalar(
        select(Agreement).where(Agreement.job_id == job.id, Agreement.status == "in_force")
    )
    if previous is not None:
        previous.status = "replaced"
    old_total, old_upfront = (total(previous.terms), upfront_due(previous.terms)) if previous else (0, 0)
    agreement.status, agreement.in_force_at = "in_force", utcnow()
    job.in_force_version = agreement.version
    if job.status == "draft":
        job.status = "active"
    milestones = apply_plan(tx.session, job, agreement.version, agreement.terms)
    new_upfront = upfront_due(agreement.terms)
    ledger.post(tx.session, job, ledger_rules.AGREEMENT, f"agreement:{agreement.version}",
                ledger_rules.agreement_in_force(old_total, total(agreement.terms), old_upfront, new_upfront))
    if new_upfront != old_upfront:  # an advance asked for (or lowered) is invoiced (or credited)
        invoices.for_advance(tx, job, agreement.version, new_upfront - old_upfront, agreement.terms["currency"])
    balances = ledger.balances(tx.session, job.id)
    tx.record(job, ev.AGREEMENT_IN_FORCE, {
        "agreement": agreement_view(tx.session, agreement), "job_status": job.status,
        "milestones": milestones, "balances": balances,
    }, None)
    if new_upfront > old_upfront:
        currency = agreement.terms["currency"]
        tx.record(job, ev.UPFRONT_REQUESTED, {
            "amount": new_upfront - old_upfront, **money_fields(currency, amount=new_upfront - old_upfront),
            "balances": balances,
        }, None)


def get_agreement(actor: User, job_id: str, version: int) -> dict[str, Any]:
    job, _membership = load_member(db.session(), actor, job_id)
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.job_id == job.id, Agreement.version == version)
    )
    if agreement is None:
        raise NotFound(f"This job has no version {version} of the agreement.")
    return agreement_view(db.session(), agreement)


def list_agreements(actor: User, job_id: str) -> list[dict[str, Any]]:
    job, _membership = load_member(db.session(), actor, job_id)
    versions = db.session.scalars(
        select(Agreement).where(Agreement.job_id == job.id).order_by(Agreement.version.desc())
    )
    return [agreement_view(db.session(), a) for a in versions]

