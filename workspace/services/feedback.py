"""Reviews once a job is completed and paid, and the freelancer's public profile."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workspace.db import iso, transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Conflict, Invalid, NotFound
from workspace.domain.roles import CLIENT, FREELANCER
from workspace.extensions import db
from workspace.models import Acceptance, Agreement, Job, Membership, Review, User
from workspace.services.access import load_member, require
from workspace.services.views import user_ref


def review_view(r: Review, author: str | None, job_title: str | None) -> dict[str, Any]:
    return {"id": r.id, "rating": r.rating, "text": r.text, "author": author, "job": job_title,
            "created_at": iso(r.created_at)}


def leave_review(actor: User, job_id: str, rating: Any, text: Any = "", consent_to_name: Any = False) -> dict[str, Any]:
    """One review of the other side per person and job, once the job is completed."""
    errors = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        errors["rating"] = "1 to 5 stars."
    if text is None:
        text = ""
    if not isinstance(text, str) or len(text) > 2000:
        errors["text"] = "Text up to 2,000 characters."
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
            view = review_view(review, actor.name, job.title)
            tx.record(job, ev.REVIEW_POSTED, {"review": {**view, "about": subject, "role": membership.role}}, actor)
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


def public_profile(user_id: int) -> dict[str, Any]:
    """Anyone may read it: a person's name and the clients' reviews of completed, paid jobs.
    A client is named (with the job) only if they agreed to be."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such person.")
    rows = db.session.execute(
        select(Review, User.name, Job.title).join(User, User.id == Review.author_id).join(Job, Job.id == Review.job_id)
        .join(Membership, (Membership.job_id == Review.job_id) & (Membership.user_id == Review.author_id))
        .where(Review.subject_id == user_id, Job.status == "completed", Membership.role == CLIENT)
        .order_by(Review.id.desc())
    ).all()
    reviews = [review_view(r, name if r.consent_to_name else None, title if r.consent_to_name else None)
               for r, name, title in rows]
    average = round(sum(r["rating"] for r in reviews) / len(reviews), 1) if reviews else None
    return {"user": user_ref(user), "reviews": reviews, "average": average, "count": len(reviews)}

