"""Pages: the landing page, the dashboard of my jobs, and creating a job."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workspace.domain.errors import Invalid, RateLimited
from workspace.services import jobs
from workspace.web.http import actor

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("dashboard/home.html")


@bp.get("/jobs")
@login_required
def index() -> Any:
    return render_template("dashboard/index.html", jobs=jobs.list_jobs(actor()))


@bp.route("/jobs/new", methods=["GET", "POST"])
@login_required
def new_job() -> Any:
    if request.method == "GET":
        return render_template("dashboard/new_job.html", form={}, errors={})
    try:
        job = jobs.create_job(actor(), request.form.get("title"), request.form.get("description", ""))
    except (Invalid, RateLimited) as exc:
        return render_template("dashboard/new_job.html", form=request.form, errors=exc.fields or {},
                               message=exc.message), exc.status
    return redirect(url_for("rooms.agreement_form", job_id=job["id"], first=1))
