"""OpenAPI paths of web/api_disputes.py (merged into the document by web/openapi.py)."""
from __future__ import annotations

from typing import Any


def dispute_paths() -> dict[str, Any]:
    from workspace.domain import disputes as rules
    from workspace.web.openapi import (  # here, not at the top: openapi imports this module
        ID, IDEMPOTENCY, MAX_AMOUNT, JOB_ID, MILESTONE, _errors, _in, _obj, _ok, _op, _path, _ref, _text,
    )

    proposal = _obj(["id", "kind", "proposer_role", "needs", "accepted_by", "state"],
                    id={"type": "integer"}, kind={"type": "string", "enum": list(rules.KINDS)},
                    proposer_role={"type": "string"}, amount={"type": ["integer", "null"]},
                    due={"type": ["string", "null"], "format": "date"}, note={"type": "string"},
                    needs={"type": "array", "items": {"type": "string"},
                           "description": "the sides whose acceptance it needs (none: a binding mediator's)"},
                    accepted_by={"type": "array", "items": {"type": "string"}},
                    state={"type": "string", "enum": [rules.PENDING, rules.ACCEPTED, rules.SUPERSEDED, rules.CLOSED]})
    dispute = _obj(["id", "milestone", "state", "reason", "opened_by_role", "proposals"],
                   id={"type": "integer"}, milestone={"type": "integer"}, milestone_title={"type": "string"},
                   state={"type": "string", "enum": list(rules.STATES)}, reason={"type": "string"},
                   opened_by_role={"type": "string"}, milestone_state={"type": "string"},
                   proposals={"type": "array", "items": proposal})
    result = _obj(["dispute", "milestone"], dispute=dispute, milestone=_ref("Milestone"),
                  balances={"type": "object", "description": "after a resolution moved money"})
    dispute_id = _path("dispute_id", ID)
    return {
        "/milestones/{milestone_id}/disputes": {"post": _op(
            "Dispute a submitted, changes-requested or approved-but-unpaid milestone (freelancer or client); "
            "it freezes the milestone's review, auto-approval and settlement", {
                **_ok("201", "Opened", result), **_errors(400, 403, 409, 429)},
            params=[MILESTONE, IDEMPOTENCY],
            body=_in(["reason"], reason=_text(rules.REASON_MAX, filled=True, message="Say what is wrong.")))},
        "/jobs/{job_id}/disputes": {"get": _op("Every dispute of a job, with its proposals", {
            **_ok("200", "OK", _obj(["disputes"], disputes={"type": "array", "items": dispute}))}, params=[JOB_ID])},
        "/disputes/{dispute_id}/proposals": {"post": _op(
            "Propose a resolution: an amount to the freelancer (the rest cancelled), or a new due date with one "
            "more revision; supersedes the pending proposal", {
                **_ok("201", "Proposed", result), **_errors(400, 403, 409, 429)},
            params=[dispute_id, IDEMPOTENCY],
            body={"oneOf": [
                _in(["kind", "amount"], kind={"type": "string", "const": rules.AMOUNT},
                    amount={"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT,
                            "description": "minor units, at most the milestone's amount"},
                    note=_text(rules.NOTE_MAX, nullable=True)),
                _in(["kind", "due"], kind={"type": "string", "const": rules.REVISION},
                    due={"type": "string", "format": "date", "description": "today or later, by the deadline"},
                    note=_text(rules.NOTE_MAX, nullable=True)),
            ]})},
        "/dispute-proposals/{proposal_id}/accept": {"post": _op(
            "Accept a proposed resolution (the other side; both sides for a mediator's): the dispute closes "
            "and the money moves", {**_ok("200", "Accepted", result), **_errors(400, 403, 409, 429)},
            params=[_path("proposal_id", ID), IDEMPOTENCY])},
        "/disputes/{dispute_id}/withdraw": {"post": _op(
            "Withdraw a dispute (the side that opened it)", {
                **_ok("200", "Withdrawn", result), **_errors(400, 403, 409, 429)},
            params=[dispute_id, IDEMPOTENCY])},
    }
