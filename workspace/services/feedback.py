"""Reviews once a job is completed and paid, and the freelancer's public profile. Every review shows
the money the job's payments confirmed, so a review of a token job (0.01 USD between two accounts of one
person) reads as what it is."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from workspace.db import iso, transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Invalid, NotFound
from workspace.domain.ids import is_public_id
from workspace.domain.money import format_money
from workspace.domain.roles import CLIENT, FREELANCER
from workspace.extensions import db
from workspace.models import Acceptance, Agreement, Job, Membership, Payment, Review, User
from workspace.services.access import load_member, require


def review_view(r: Review, author: str | None, job_title: str | None,
                paid: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": r.id, "rating": r.rating, "text": r.text, "author": author, "job": job_title,
            "created_at": iso(r.created_at), "paid": paid_view(paid)}


def paid_view(paid: dict[str, Any] | None) -> dict[str, Any]:
    """What the review is tied to: the total of the job's payments the freelancer confirmed."""
    if not paid:
        return {"amount": 0, "currency": None, "confirmed": False, "display": "no confirmed payment"}
    return {**paid, "confirmed": paid["amount"] > 0, "display": format_money(paid["amount"], paid["currency"])}


def confirmed_totals(session: Any, job_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per job: the sum of confirmed payments (one currency per job) and when the last was confirmed."""
    if not job_ids:
        return {}
    rows = session.execute(
        select(Payment.job_id, Payment.currency, func.sum(Payment.amount), func.max(Payment.confirmed_at))
        .where(Payment.job_id.in_(job_ids), Payment.status == "confirmed")
        .group_by(Payment.job_id, Payment.currency)
    ).all()
    return {job_id: {"amount": int(total), "currency": currency, "confirmed_at": iso(last) if last else None}
            for job_id, currency, total, last in rows}  # int: PostgreSQL's SUM is a Decimal


def leave_review(actor: User, job_id: str, rating: Any, text: Any = "", consent_to_name: Any = False) -> dict[str, Any]:
    """One review of the other side per person and job, once the job is completed."""
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = "1 to 5 stars."
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > 2000:
        errors["text"] = "Text up to 2,000 characters."
    if consent_to_name is None:
        consent_to_name = False
    if not isinstance(consent_to_name, bool):
        errors["consent_to_name"] = "true or false."
    if errors:
        raise Invalid("Please check your review.", fields=errors)
    try:
        with transaction() as tx:
            job, membership = load_member(tx.session, actor, job_id)
            require(membership, "review.leave", "Viewers do not leave reviews.")
            if job.status != "completed":
                raise Conflict("Reviews open when every milestone is paid and the job is completed.")
            subject = _other_side(tx.session, job, membership)
            review = Review(job_id=job.id, author_id=actor.id, subject_id=subject, rating=rating,
                            text=text.strip(), consent_to_name=consent_to_name)
            tx.session.add(review)
            tx.session.flush()
            paid = confirmed_totals(tx.session, [job.id]).get(job.id)
            view = review_view(review, actor.name, job.title, paid)
            facts = {key: value for key, value in view.items() if key != "paid"}
            facts["paid"] = {key: view["paid"][key] for key in ("amount", "currency", "confirmed")}
            tx.record(job, ev.REVIEW_POSTED, {"review": {**facts, "about": subject, "role": membership.role}}, actor)
    except IntegrityError:
        raise Conflict("You already reviewed this job.") from None
    return view


def _other_side(session: Any, job: Job, membership: Membership) -> int:
    if membership.role == CLIENT:
        freelancer = session.scalar(select(Membership.user_id).where(Membership.job_id == job.id,
                                                                     Membership.role == FREELANCER))
        return int(freelancer)
    # The freelancer reviews the client who signed the terms in force.
    signer = session.scalar(
        select(Acceptance.user_id).join(Agreement, Agreement.id == Acceptance.agreement_id)
        .where(Agreement.job_id == job.id, Agreement.status == "in_force", Acceptance.role == CLIENT)
        .order_by(Acceptance.id).limit(1))
    if signer is None:
        raise Conflict("There is no client to review.")
    return int(signer)


def public_profile(profile_id: Any) -> dict[str, Any]:
    """Anyone may read it: a freelancer's name and the clients' reviews of completed, paid jobs.
    Found by the profile's unguessable id (people who never freelanced have none); a client is
    named (with the job) only if they agreed to be."""
    if not is_public_id(profile_id):
        raise NotFound("No such profile.")
    user = db.session.scalar(select(User).where(User.profile_id == profile_id))
    if user is None:
        raise NotFound("No such profile.")
    user_id = user.id
    rows = db.session.execute(
        select(Review, User.name, Job.title).join(User, User.id == Review.author_id).join(Job, Job.id == Review.job_id)
        # Reviews of them as the job's freelancer (who is never removed), not of them as someone's client;
        # by whoever was the client then, even if no longer a member: removing them keeps their review.
        .join(Membership, (Membership.job_id == Review.job_id) & (Membership.user_id == Review.subject_id))
        .where(Review.subject_id == user_id, Job.status == "completed", Membership.role == FREELANCER)
        .order_by(Review.id.desc())
    ).all()
    paid = confirmed_totals(db.session(), sorted({r.job_id for r, _name, _title in rows}))
    reviews = [review_view(r, name if r.consent_to_name else None, title if r.consent_to_name else None,
                           paid.get(r.job_id))
               for r, name, title in rows]
    average = round(sum(r["rating"] for r in reviews) / len(reviews), 1) if reviews else None
    return {"user": {"name": user.name}, "profile_id": profile_id, "reviews": reviews, "average": average,
            "count": len(reviews)}

