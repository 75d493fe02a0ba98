"""OpenAPI paths of web/api_accounts.py (merged into the document by web/openapi.py).

"/signup" and "/me" live here (sign-up answers 202 for a taken address; "/me" has GET and PATCH)."""
from __future__ import annotations

from typing import Any


def account_paths() -> dict[str, Any]:
    from workspace.web.openapi import SPACE, _errors, _in, _obj, _ok, _op, _path, _ref, _text  # here: openapi imports this module

    message = _obj(["message"], message={"type": "string"})
    account = _obj(["user", "email_verified"], user=_ref("User"), email_verified={"type": "boolean"})
    token = _path("token", _text(200, filled=True), "the token from the emailed link {PUBLIC_URL}/reset/{token}")
    part = f"[^@{SPACE}\\u0000-\\u001f\\u007f,;:<>()\\[\\]\\\\\"]+"  # accounts._ADDRESS_PART
    email = {**_text(254, filled=True), "pattern": f"^[{SPACE}]*{part}@{part}\\.{part}[{SPACE}]*$",
             "x-message": "Enter a valid email address."}
    password = {**_text(1024), "minLength": 10, "x-message": "Use 10 to 1,024 characters."}
    name = _text(100, filled=True, message="Tell us your name.")
    return {
        "/signup": {"post": _op(
            "Create an account and a first API token; a verification link is emailed", {
                **_ok("201", "Created (a new address)", _obj(
                    ["user", "token", "message"], user=_ref("User"), token={"type": "string"},
                    message={"type": "string"})),
                **_ok("202", "Accepted: the address already has an account; nothing changed and its owner "
                             "was emailed (the message is the same as for a new address)", message),
                **_errors(429)}, auth=False,
            body=_in(["email", "password", "name"], email=email, password=password, name=name))},
        "/me": {
            "get": _op("Who am I", {**_ok("200", "OK", _obj(["user"], user=_ref("User")))}),
            "patch": _op(
                "Change my name, email or password (email and password need current_password). A new "
                "email is confirmed again by link; a new password signs out every other session and token",
                {**_ok("200", "Changed", account), **_errors(403, 409, 429)},
                body=_in([], name=name, email=email, password=password, current_password=_text(1024))),
        },
        "/me/verify-email": {"post": _op("Email my verification link again", {
            **_ok("202", "Sent", message), **_errors(409, 429)})},
        "/password-reset": {"post": _op(
            "Email a single-use link to choose a new password (the same answer for any address)", {
                **_ok("202", "Accepted", message), **_errors(429)}, auth=False, body=_in(["email"], email=email))},
        "/password-reset/{token}": {"post": _op(
            "Set a new password with an emailed reset link (once); every session and token is signed out", {
                **_ok("200", "Changed", message), **_errors(429)}, auth=False, params=[token],
            body=_in(["password"], password=password))},
    }
