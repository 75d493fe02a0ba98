"""One click from an out-of-scope change request to a priced new version of the agreement."""
from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from workspace.domain.errors import Conflict, Invalid
from workspace.domain.milestones import extra_work_to_price
from workspace.extensions import db
from workspace.models import Agreement, Submission, User
from workspace.services.access import require
from workspace.services.agreements import propose_agreement
from workspace.services.deliveries import load_milestone


def propose_change_order(actor: User, milestone_id: Any, amount: Any, title: Any = None) -> dict[str, Any]:
    """The freelancer prices the extra work a beyond-scope request asks for, as a new version."""
    milestone, job, membership = load_milestone(db.session(), actor, milestone_id, lock=False)
    require(membership, "change_order.propose", "Only the freelancer prices extra work.")
    latest = db.session.scalar(select(Submission).where(Submission.milestone_id == milestone.id)
                               .order_by(Submission.number.desc()).limit(1))
    if latest is None or not extra_work_to_price(milestone.state, latest.decision, latest.out_of_scope,
                                                 latest.revision, milestone.revisions_included):
        raise Conflict("Extra work can be priced after a change request beyond the included revisions "
                       "or marked out of scope.")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise Invalid("Price the extra work in minor units above zero.", fields={"amount": "Above zero."})
    if title is not None and (not isinstance(title, str) or len(title) > 200):
        raise Invalid("The title is text up to 200 characters.", fields={"title": "Too long."})
    in_force = db.session.scalar(select(Agreement).where(Agreement.job_id == job.id, Agreement.status == "in_force"))
    assert in_force is not None
    db.fresh_snapshot()
    terms = copy.deepcopy(in_force.terms)
    label = "out of scope" if latest.out_of_scope else f"revision {latest.revision}"
    terms["milestones"].append({
        "title": (title or "").strip() or f"Extra work on “{milestone.title}” ({label})",
        "amount": amount, "due": terms["deadline"],
        "criteria": [latest.reason[:300]] if latest.reason else [], "revisions": 0,
    })
    return propose_agreement(actor, job.public_id, terms)
