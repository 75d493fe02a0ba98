"""Pages: the invitation link; accept it signed in, or sign up right there and land in the job."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workspace.domain.errors import Conflict, Invalid, NotFound, RateLimited
from workspace.domain.roles import role_label
from workspace.services import invites
from workspace.services.access import load_seat
from workspace.web.auth import CheckInbox, sign_in, sign_up_from_form
from workspace.web.http import actor

bp = Blueprint("invites", __name__, url_prefix="/invite")


def _page(token: str, status: int = 200, preview: dict[str, Any] | None = None, **extra: Any) -> Any:
    try:
        preview = preview or invites.preview_invite(token)
    except NotFound as exc:
        return render_template("invites/show.html", preview=None, message=exc.message, token=token,
                               form={}, errors={}), 404
    return render_template("invites/show.html", preview=preview, token=token,
                           form=extra.pop("form", {}), errors=extra.pop("errors", {}), **extra), status


@bp.get("/<token>")
def show(token: str) -> Any:
    try:
        preview = invites.preview_invite(token)
    except NotFound:
        return _page(token)
    job_id = preview["job"]["id"]
    if _is_member(job_id):  # e.g. the client opening their own link again: the job, not "already used"
        flash("You are already in this job.", "info")
        return redirect(url_for("rooms.room", job_id=job_id))
    return _page(token, preview=preview)


def _is_member(job_id: str) -> bool:
    """The signed-in person is already one of the job's members (the link, used or not, is left as it is)."""
    if not current_user.is_authenticated:
        return False
    try:
        load_seat(actor(), job_id)
    except NotFound:
        return False
    return True


@bp.post("/<token>/accept")
@login_required
def accept(token: str) -> Any:
    try:
        job = invites.accept_invite(actor(), token)
    except (Conflict, NotFound) as exc:
        return _page(token, exc.status, message=exc.message)
    flash(f"You joined “{job['title']}” as {role_label(job['role'])}.", "success")
    return redirect(url_for("rooms.agreement" if job["pending_agreement"] else "rooms.room", job_id=job["id"]))


@bp.post("/<token>/signup")
def signup(token: str) -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("invites.show", token=token))
    try:
        invites.preview_invite(token)
        user = sign_up_from_form(request.form, resume=url_for("invites.show", token=token))
    except NotFound:
        return _page(token)
    except CheckInbox as exc:  # the address has an account: its owner logs in to join (the email links back)
        return _page(token, exc.status, form=request.form, message=(
            f"We sent a message to {exc.email}. If that address already has an account, log in to join: "
            "the link in the message brings you back to this invitation."), log_in_first=True)
    except (Invalid, Conflict, RateLimited) as exc:
        return _page(token, exc.status, form=request.form, errors=exc.fields, message=exc.message)
    sign_in(user)
    return accept(token)
