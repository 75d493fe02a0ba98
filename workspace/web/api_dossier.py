"""The dossier download: `GET /jobs/<job>/dossier.zip` for a signed-in page and
`GET /api/v1/jobs/<job>/dossier.zip` for a token; members only (404 for anyone else, as every job route).
The zip is streamed as it is written (services/dossier.py), so a big job neither waits nor fills memory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, stream_with_context
from flask_login import login_required

from workspace.domain.errors import RateLimited
from workspace.ratelimit import limiter
from workspace.services import dossier
from workspace.web.api import authenticated
from workspace.web.http import actor

bp = Blueprint("api_dossier", __name__)

# Building a dossier reads the whole job: a few per minute per person is plenty.
PER_MINUTE = 6


def _download(job_id: str) -> Response:
    user = actor()
    retry = limiter.take(f"act:dossier:{user.id}", PER_MINUTE, 60)  # per person: says nothing about the job
    if retry:
        raise RateLimited(f"Too many dossier downloads; wait {retry} s.", retry_after=retry)
    plan = dossier.prepare(user, job_id, upload_dir=Path(current_app.config["UPLOAD_DIR"]))  # 404 for non-members
    response = Response(stream_with_context(dossier.chunks(plan)), mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{plan.filename}"',
                                 "Cache-Control": "no-store", "X-Accel-Buffering": "no",
                                 # about how big it will be: the page's progress bar (no Content-Length)
                                 "X-Dossier-Estimate": str(plan.estimate)})
    return response


@bp.get("/jobs/<job_id>/dossier.zip")
@login_required
def page_dossier(job_id: str) -> Any:
    return _download(job_id)


@bp.get("/api/v1/jobs/<job_id>/dossier.zip")
@authenticated
def api_dossier(job_id: str) -> Any:
    return _download(job_id)
