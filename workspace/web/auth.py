"""Pages: sign up, log in, log out, and the account page with personal API tokens."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user

from workspace.domain.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from workspace.services import accounts
from workspace.web.http import actor, client_address

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def sign_in(user: Any) -> None:
    """Start a revocable login session and put it in the (new) cookie."""
    session.clear()  # no session fixation: a login always gets a fresh session
    session["lsid"] = accounts.start_login_session(user)
    session.permanent = True
    login_user(user)


def sign_up_from_form(form: Any) -> Any:
    config = current_app.config
    return accounts.sign_up(form.get("email"), form.get("password"), form.get("name"),
                            address=client_address(), limit=config["SIGNUP_LIMIT_PER_ADDRESS"])


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    next_url = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if request.method == "GET":
        return render_template("auth/signup.html", form={}, errors={}, next=next_url)
    try:
        user = sign_up_from_form(request.form)
    except (Invalid, Conflict, RateLimited) as exc:
        status = exc.status
        return render_template("auth/signup.html", form=request.form, errors=exc.fields,
                               message=exc.message, next=next_url), status
    sign_in(user)
    flash(f"Welcome, {user.name}.", "success")
    return redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if request.method == "GET":
        return render_template("auth/login.html", form={}, errors={}, next=next_url)
    config = current_app.config
    try:
        user = accounts.authenticate(
            request.form.get("email"), request.form.get("password"), address=client_address(),
            per_account=config["LOGIN_LIMIT_PER_ACCOUNT"], per_address=config["LOGIN_LIMIT_PER_ADDRESS"],
        )
    except (Invalid, Unauthorized, RateLimited) as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
        return render_template("auth/login.html", form={"email": request.form.get("email", "")},
                               errors=exc.fields, message=exc.message, next=next_url), exc.status, headers
    sign_in(user)
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Any:
    login_session = session.get("lsid")
    if login_session:
        accounts.end_login_session(login_session)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    user = actor()
    new_token = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            try:
                accounts.revoke_api_token(user, int(request.form.get("token_id", "0") or 0))
                flash("Token revoked.", "info")
            except (ValueError, NotFound):
                flash("That token no longer exists.", "error")
            return redirect(url_for("auth.account"))
        try:
            _view, new_token = accounts.create_api_token(user, request.form.get("name"))
        except Invalid as exc:
            flash(exc.message, "error")
    return render_template("auth/account.html", tokens=accounts.list_api_tokens(user), new_token=new_token)
