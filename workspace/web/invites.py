"""Pages: the invitation link; accept it signed in, or sign up right there and land in the job."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workspace.domain.errors import Conflict, Invalid, NotFound, RateLimited
from workspace.services import invites
from workspace.web.auth import sign_in, sign_up_from_form
from workspace.web.http import actor

bp = Blueprint("invites", __name__, url_prefix="/invite")


def _page(token: str, status: int = 200, **extra: Any) -> Any:
    try:
        preview = invites.preview_invite(token)
    except NotFound as exc:
        return render_template("invites/show.html", preview=None, message=exc.message, token=token,
                               form={}, errors={}), 404
    return render_template("invites/show.html", preview=preview, token=token,
                           form=extra.pop("form", {}), errors=extra.pop("errors", {}), **extra), status


@bp.get("/<token>")
def show(token: str) -> Any:
    return _page(token)


@bp.post("/<token>/accept")
@login_required
def accept(token: str) -> Any:
    try:
        job = invites.accept_invite(actor(), token)
    except (Conflict, NotFound) as exc:
        return _page(token, exc.status, message=exc.message)
    flash(f"You joined “{job['title']}” as {job['role']}.", "success")
    return redirect(url_for("rooms.agreement" if job["pending_agreement"] else "rooms.room", job_id=job["id"]))


@bp.post("/<token>/signup")
def signup(token: str) -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("invites.show", token=token))
    try:
        invites.preview_invite(token)
        user = sign_up_from_form(request.form)
    except NotFound:
        return _page(token)
    except (Invalid, Conflict, RateLimited) as exc:
        return _page(token, exc.status, form=request.form, errors=exc.fields, message=exc.message)
    sign_in(user)
    return accept(token)
