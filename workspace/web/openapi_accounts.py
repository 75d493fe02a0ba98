"""OpenAPI paths of web/api_accounts.py (merged into the document by web/openapi.py).

"/signup" and "/me" live here (sign-up answers 202 for a taken address; "/me" has GET and PATCH)."""
from __future__ import annotations

from typing import Any


def account_paths() -> dict[str, Any]:
    from workspace.web.openapi import _errors, _obj, _ok, _op, _ref  # here: openapi imports this module

    message = _obj(["message"], message={"type": "string"})
    account = _obj(["user", "email_verified"], user=_ref("User"), email_verified={"type": "boolean"})
    token = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
             "description": "the token from the emailed link {PUBLIC_URL}/reset/{token}"}
    return {
        "/signup": {"post": _op(
            "Create an account and a first API token; a verification link is emailed", {
                **_ok("201", "Created (a new address)", _obj(
                    ["user", "token", "message"], user=_ref("User"), token={"type": "string"},
                    message={"type": "string"})),
                **_ok("202", "Accepted: the address already has an account; nothing changed and its owner "
                             "was emailed (the message is the same as for a new address)", message),
                **_errors(400, 413, 422, 429)}, auth=False,
            body=_obj(["email", "password", "name"], email={"type": "string"},
                      password={"type": "string", "minLength": 10}, name={"type": "string"}))},
        "/me": {
            "get": _op("Who am I", {**_ok("200", "OK", _obj(["user"], user=_ref("User"))), **_errors(401)}),
            "patch": _op(
                "Change my name, email or password (email and password need current_password). A new "
                "email is confirmed again by link; a new password signs out every other session and token",
                {**_ok("200", "Changed", account), **_errors(400, 401, 409, 413, 422, 429)},
                body=_obj([], name={"type": "string", "maxLength": 100}, email={"type": "string"},
                          password={"type": "string", "minLength": 10, "maxLength": 1024},
                          current_password={"type": "string"})),
        },
        "/me/verify-email": {"post": _op("Email my verification link again", {
            **_ok("202", "Sent", message), **_errors(401, 409, 429)})},
        "/password-reset": {"post": _op(
            "Email a single-use link to choose a new password (the same answer for any address)", {
                **_ok("202", "Accepted", message), **_errors(400, 413, 422, 429)}, auth=False,
            body=_obj(["email"], email={"type": "string"}))},
        "/password-reset/{token}": {"post": _op(
            "Set a new password with an emailed reset link (once); every session and token is signed out", {
                **_ok("200", "Changed", message), **_errors(400, 404, 413, 422)}, auth=False, params=[token],
            body=_obj(["password"], password={"type": "string", "minLength": 10, "maxLength": 1024}))},
    }
