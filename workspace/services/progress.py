"""Progress updates from the freelancer, and the cadence they promised in the agreement."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workspace.domain.ids import is_id
from workspace.db import iso, transaction
from workspace.domain import event_types as ev
from workspace.domain.errors import Invalid
from workspace.models import Milestone, ProgressUpdate, User
from workspace.services.access import load_member, require

NOTE_MAX = 2_000


def _validate(percent: Any, note: Any) -> tuple[int, str]:
    errors = {}
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent"] = "A whole number from 0 to 100."
    if note is None:
        note = ""
    if not isinstance(note, str):
        errors["note"] = "The note must be text."
    elif len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note under {NOTE_MAX:,} characters."
    if errors:
        raise Invalid("Please check the progress update.", fields=errors)
    return percent, note.strip()


def post_progress(actor: User, job_id: str, percent: Any, note: Any = "", milestone_id: Any = None) -> dict[str, Any]:
    """Record how far along the work is (0-100 %), optionally for one milestone."""
    percent, note = _validate(percent, note)
    if milestone_id is not None and not is_id(milestone_id):
        raise Invalid("milestone_id is a milestone id.", fields={"milestone_id": "Invalid."})
    with transaction() as tx:
        job, membership = load_member(tx.session, actor, job_id)
        require(membership, "progress.post", "Only the freelancer posts progress updates.")
        milestone = None
        if milestone_id is not None:
            milestone = tx.session.scalar(select(Milestone).where(Milestone.id == milestone_id,
                                                                  Milestone.job_id == job.id))
            if milestone is None:  # a field of the request, not the resource addressed: 422
                raise Invalid("That milestone is not part of this job.",
                              fields={"milestone_id": "Not a milestone of this job."})
        update = ProgressUpdate(job_id=job.id, author_id=actor.id, percent=percent, note=note,
                                milestone_id=milestone_id, seq=0)
        tx.session.add(update)
        tx.session.flush()
        event = tx.record(job, ev.PROGRESS_POSTED, {"progress": {
            "id": update.id, "percent": percent, "note": note,
            "milestone": {"id": milestone.id, "title": milestone.title} if milestone else None,
            "created_at": iso(update.created_at),
        }}, actor)
        update.seq = event["seq"]
    return event

