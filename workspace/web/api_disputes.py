"""Disputes over the API: open one on a milestone, propose and accept resolutions, withdraw, list.
Thin: every rule is in services/disputes.py (the socket handlers call the same functions)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from workspace.services import disputes
from workspace.web.api import authenticated, idempotency_key
from workspace.web.http import actor, json_body

bp = Blueprint("api_disputes", __name__, url_prefix="/api/v1")


@bp.post("/milestones/<int:milestone_id>/disputes")
@authenticated
def open_dispute(milestone_id: int) -> Any:
    body = json_body()
    return jsonify(disputes.open_dispute(actor(), milestone_id, body.get("reason"),
                                         idempotency_key=idempotency_key())), 201


@bp.get("/jobs/<job_id>/disputes")
@authenticated
def list_disputes(job_id: str) -> Any:
    return jsonify({"disputes": disputes.list_disputes(actor(), job_id)})


@bp.post("/disputes/<int:dispute_id>/proposals")
@authenticated
def propose(dispute_id: int) -> Any:
    return jsonify(disputes.propose_resolution(actor(), dispute_id, json_body(),
                                               idempotency_key=idempotency_key())), 201


@bp.post("/dispute-proposals/<int:proposal_id>/accept")
@authenticated
def accept(proposal_id: int) -> Any:
    json_body()  # no fields, but a malformed body is still a 400
    return jsonify(disputes.accept_resolution(actor(), proposal_id, idempotency_key=idempotency_key()))


@bp.post("/disputes/<int:dispute_id>/withdraw")
@authenticated
def withdraw(dispute_id: int) -> Any:
    json_body()
    return jsonify(disputes.withdraw_dispute(actor(), dispute_id, idempotency_key=idempotency_key()))
