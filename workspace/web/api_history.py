"""The history anyone can verify, over the API: the server's public signing key (no login) and a
member's signed checkpoint of a job's chain."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from workspace.services import checkpoints
from workspace.web.api import authenticated
from workspace.web.http import actor

bp = Blueprint("api_history", __name__, url_prefix="/api/v1")


@bp.get("/keys")
def keys() -> Any:
    return jsonify(checkpoints.public_keys())


@bp.get("/jobs/<job_id>/checkpoint")
@authenticated
def checkpoint(job_id: str) -> Any:
    return jsonify(checkpoints.latest_checkpoint(actor(), job_id))
