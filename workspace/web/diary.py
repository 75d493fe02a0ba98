"""Pages: the work diary of a job (sessions, snapshots, totals), its CSV export and its settings."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from workspace.domain.errors import Forbidden, Invalid, NotFound
from workspace.services import diary, jobs, live
from workspace.services.live import SNAPSHOT_CHOICES
from workspace.web.http import actor
from workspace.web.zone import page_zone

bp = Blueprint("diary", __name__, url_prefix="/jobs/<job_id>/diary")


@bp.get("/")
@login_required
def show(job_id: str) -> Any:
    user = actor()
    job = jobs.get_job(user, job_id)
    data = diary.diary(user, job_id, grace_minutes=current_app.config["SNAPSHOT_DELETE_GRACE_MINUTES"],
                       zone=page_zone())
    return render_template("rooms/diary.html", job=job, diary=data, choices=SNAPSHOT_CHOICES,
                           grace=current_app.config["SNAPSHOT_DELETE_GRACE_MINUTES"])


@bp.get("/export.csv")
@login_required
def export(job_id: str) -> Any:
    return Response(diary.diary_csv(actor(), job_id, page_zone()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="work-diary-{job_id}.csv"'})


@bp.post("/settings")
@login_required
def settings(job_id: str) -> Any:
    try:
        seconds = int(request.form.get("snapshot_seconds", ""))
        live.set_snapshot_interval(actor(), job_id, seconds)
        flash("Snapshots are off." if seconds == 0 else f"Snapshots every {seconds // 60} minutes while you are live.",
              "success")
    except (ValueError, Invalid):
        flash("Choose how often to take snapshots.", "error")
    return redirect(url_for("diary.show", job_id=job_id))


@bp.post("/snapshots/<int:snapshot_id>/delete")
@login_required
def delete_snapshot(job_id: str, snapshot_id: int) -> Any:
    config = current_app.config
    try:
        diary.delete_snapshot(actor(), snapshot_id, grace_minutes=config["SNAPSHOT_DELETE_GRACE_MINUTES"],
                              directory=Path(config["UPLOAD_DIR"]))
        flash("Snapshot deleted. The room shows that one was removed.", "info")
    except (Forbidden, NotFound) as exc:
        flash(exc.message, "error")
    return redirect(url_for("diary.show", job_id=job_id))
