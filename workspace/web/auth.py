"""Pages: sign up, log in, log out, email verification, password reset, and the account page (name,
email, password, personal API tokens)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from workspace.domain.errors import Conflict, DomainError, Invalid, NotFound, RateLimited, Unauthorized
from workspace.services import accounts, recovery
from workspace.web.http import actor, client_address

bp = Blueprint("auth", __name__)


class CheckInbox(Conflict):
    """Sign-up with an address that already has an account: a neutral answer (HTTP 200) that reads
    the same as for a new address, never "already registered". Pages that embed the sign-up form
    (the invitation page) show its message like any other sign-up error."""

    code, status = "check_inbox", 200

    def __init__(self, email: str) -> None:
        super().__init__(accounts.signup_message(email))
        self.email = email


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


def sign_up_from_form(form: Any, resume: str | None = None) -> Any:
    """The new user, or CheckInbox when the address was taken (its owner has been emailed, with a
    log-in link back to `resume`)."""
    config = current_app.config
    user = accounts.sign_up(form.get("email"), form.get("password"), form.get("name"),
                            address=client_address(), limit=config["SIGNUP_LIMIT_PER_ADDRESS"], resume=resume)
    if user is None:
        raise CheckInbox(accounts.normalize_email(form.get("email")))
    return user


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    next_url = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if request.method == "GET":
        return render_template("auth/signup.html", form={}, errors={}, next=next_url)
    try:
        user = sign_up_from_form(request.form)
    except CheckInbox as exc:
        return render_template("auth/check_inbox.html", title="Check your inbox", message=exc.message)
    except (Invalid, Conflict, RateLimited) as exc:
        return render_template("auth/signup.html", form=request.form, errors=exc.fields,
                               message=exc.message, next=next_url), exc.status
    sign_in(user)
    flash(f"Welcome, {user.name}.", "success")  # the banner under it asks to confirm the address
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
                               errors=exc.fields, message=exc.message, locked=isinstance(exc, RateLimited),
                               next=next_url), exc.status, headers
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


# ---------------------------------------------------------------- verification

@bp.get("/verify/<token>")
def verify(token: str) -> Any:
    """The emailed link: opening it confirms the address (services/recovery.py says why a GET may)."""
    try:
        user = recovery.verify_email(token)
    except Invalid as exc:
        return render_template("auth/verified.html", ok=False, message=exc.message), 400
    return render_template("auth/verified.html", ok=True, email=user.email)


@bp.post("/verify/resend")
@login_required
def resend_verification() -> Any:
    """The banner's "Resend the link" button."""
    try:
        recovery.send_verification(actor())
        flash(f"We sent a new link to {actor().email}. Check your inbox.", "success")
    except (Conflict, RateLimited) as exc:
        flash(exc.message, "info" if isinstance(exc, Conflict) else "error")
    return redirect(safe_next(request.form.get("next"), url_for("auth.account")))


# ---------------------------------------------------------------- password reset

@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> Any:
    """Ask for a reset link; the answer is the same whether or not an account uses the address."""
    minutes = max(1, int(current_app.config["PASSWORD_RESET_TTL"]) // 60)
    if request.method == "GET":
        return render_template("auth/forgot.html", form={}, errors={}, minutes=minutes)
    try:
        message = recovery.request_password_reset(request.form.get("email"), address=client_address())
    except (Invalid, RateLimited) as exc:
        return render_template("auth/forgot.html", form=request.form, errors=exc.fields, minutes=minutes,
                               message=exc.message), exc.status
    return render_template("auth/check_inbox.html", title="Check your inbox", message=message, reset=True)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    """Choose a new password with an emailed link. Opening the link changes nothing (mail scanners
    fetch links); the form's POST uses it. No login follows: the person logs in with the new password."""
    if request.method == "GET":
        if not recovery.reset_link_works(token):
            return render_template("auth/reset.html", stale=True, message=recovery.STALE_RESET, errors={}), 404
        return render_template("auth/reset.html", stale=False, token=token, errors={})
    try:
        recovery.reset_password(token, request.form.get("password"))
    except NotFound as exc:
        return render_template("auth/reset.html", stale=True, message=exc.message, errors={}), 404
    except Invalid as exc:
        return render_template("auth/reset.html", stale=False, token=token, errors=exc.fields,
                               message=exc.message), exc.status
    if current_user.is_authenticated:  # this browser's login was revoked with all the others
        logout_user()
    session.clear()
    flash("Your password was changed and every session was signed out. Log in with your new password.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/undo-email/<token>", methods=["GET", "POST"])
def undo_email(token: str) -> Any:
    """The notice to an old address: "this was not me". Opening it asks; the POST puts the address
    back, signs everyone out and leads to choosing a new password."""
    try:
        if request.method == "GET":
            return render_template("auth/undo_email.html", token=token, **recovery.undo_email_preview(token))
        raw = recovery.undo_email_change(token)
    except (Invalid, Conflict) as exc:
        return render_template("auth/undo_email.html", message=exc.message), exc.status
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash("Your account uses your old address again, and every session was signed out. Choose a new password now: "
          "whoever changed the address knows the old one.", "success")
    return redirect(url_for("auth.reset", token=raw))


# ---------------------------------------------------------------- the account page

ACCOUNT_DONE = {
    "profile": "Your name was changed.",
    "email": "Your address was changed. We sent a link to {email} to confirm it, and a notice to your old address.",
    "password": "Your password was changed. Every other session and API token was signed out.",
}


def _account_change(user: Any, action: str, form: Any) -> dict[str, Any]:
    if action == "profile":
        return {"name": form.get("name", "")}
    if action == "email":
        return {"email": form.get("email", ""), "current_password": form.get("current_password", "")}
    return {"password": form.get("password", ""), "current_password": form.get("current_password", "")}


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    user = actor()
    new_token = None
    action = request.form.get("action", "token") if request.method == "POST" else None
    if action == "revoke":
        try:
            accounts.revoke_api_token(user, int(request.form.get("token_id", "0") or 0))
            flash("Token revoked.", "info")
        except (ValueError, NotFound):
            flash("That token no longer exists.", "error")
        return redirect(url_for("auth.account"))
    if action in ACCOUNT_DONE:
        try:
            user = recovery.update_account(user, _account_change(user, action, request.form),
                                           keep_session=session.get("lsid"))
        except DomainError as exc:
            status = exc.status if isinstance(exc, (Invalid, Conflict, RateLimited)) else 400
            return _account_page(user, errors={action: exc.fields, "message": {action: exc.message}},
                                 form=request.form), status
        flash(ACCOUNT_DONE[action].format(email=user.email), "success")
        return redirect(url_for("auth.account"))
    if action == "token":
        try:
            _view, new_token = accounts.create_api_token(user, request.form.get("name"))
        except Invalid as exc:
            flash(exc.message, "error")
    return _account_page(user, new_token=new_token)


def _account_page(user: Any, *, new_token: str | None = None, errors: dict[str, Any] | None = None,
                  form: Any = None) -> Any:
    return render_template("auth/account.html", tokens=accounts.list_api_tokens(user), new_token=new_token,
                           verified=recovery.is_verified(user), errors=errors or {}, form=form or {})
