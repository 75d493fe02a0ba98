"""JSON API for accounts people can recover: email verification, password reset, account changes."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, session

from workspace.domain.errors import Invalid
from workspace.services import accounts, recovery
from workspace.services.views import user_view
from workspace.web.api import authenticated
from workspace.web.http import actor, bearer_token, client_address, json_body
from workspace.web.security import cookie_free

bp = Blueprint("api_accounts", __name__, url_prefix="/api/v1")


def account_view(user: Any) -> dict[str, Any]:
    return {"user": user_view(user), "email_verified": recovery.is_verified(user)}


@bp.post("/me/verify-email")
@authenticated
def resend_verification() -> Any:
    recovery.send_verification(actor())
    return jsonify({"message": "We sent the link again. Check your inbox."}), 202


@bp.patch("/me")
@authenticated
def update_me() -> Any:
    """Change name, email (with current_password) or password (with current_password). The session
    or token this request came with stays signed in; every other one ends with a new password."""
    raw = bearer_token()
    user = recovery.update_account(actor(), json_body(), keep_token=accounts.api_token_id(raw),
                                   keep_session=None if raw else session.get("lsid"))
    return jsonify(account_view(user))


@bp.post("/password-reset")
@cookie_free  # anonymous: who asks is told nothing about the account
def request_reset() -> Any:
    body = json_body()
    return jsonify({"message": recovery.request_password_reset(body.get("email"), address=client_address())}), 202


@bp.post("/password-reset/<token>")
@cookie_free  # the emailed token is the credential; the cookie plays no part
def reset_password(token: str) -> Any:
    body = json_body()
    if "password" not in body:
        raise Invalid("Send the new password.", fields={"password": "Required."})
    recovery.reset_password(token, body.get("password"))
    return jsonify({"message": "Your password was changed and every session was signed out. "
                               "Log in with the new password."})
