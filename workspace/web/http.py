"""Request helpers shared by pages and the API: who is asking, from where, with what body."""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user

from workspace.domain.errors import BadRequest, Invalid, TooLarge, Unauthorized
from workspace.models import User
from workspace.validation import TOO_DEEP, check_json
from workspace.web.request_schema import check_request_body


def is_api() -> bool:
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def actor() -> User:
    """The signed-in user (the route is already login-guarded)."""
    if not current_user.is_authenticated:
        raise Unauthorized("Sign in first.")
    return current_user._get_current_object()  # type: ignore[no-any-return]


def client_address() -> str:
    return request.remote_addr or "unknown"


def json_body() -> dict[str, Any]:
    """The request's JSON object; 413 over the JSON cap, 400 when malformed, 422 when not an object."""
    limit = current_app.config["MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"The request body is larger than {limit // 1024} KB.")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise TooLarge(f"The request body is larger than {limit // 1024} KB.")
    if not raw.strip():
        return {}
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:  # `silent` covers ValueError only; the depth check below never sees such a body
        raise Invalid(TOO_DEEP, fields={"body": "Too deep."}) from None
    if body is None:
        raise BadRequest("The request body is not valid JSON.", code="bad_json")
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object.")
    check_json(body)  # first: it bounds the depth that whole_numbers then walks
    body = whole_numbers(body)
    check_request_body(body)  # the OpenAPI document's schema for this operation
    return body


def whole_numbers(value: Any) -> Any:
    """JSON has one number type: 77.0 is the integer 77 (as JSON Schema counts it), so it is read as one.
    1.5 stays a float, which every integer field refuses; money never becomes a float either way."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value
