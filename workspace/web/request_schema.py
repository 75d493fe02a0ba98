"""The OpenAPI document is the contract the API enforces: each JSON request body is checked against
its operation's schema before the route reads it, so what the document accepts and what the server
accepts cannot drift apart (unknown fields, types, lengths, bounds, enums). Business rules that a
schema cannot state (a deadline after today, a portion below the total) stay in the domain.

Errors read like the domain's own: one message per field, in the person's words."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from workspace.domain.errors import Invalid

API_PREFIX = "/api/v1"
RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def check_request_body(body: Any) -> None:
    """Raise Invalid (422, per-field messages) when `body` breaks the current operation's schema."""
    rule = request.url_rule
    if rule is None or not rule.rule.startswith(API_PREFIX):
        return
    validator = _validators().get((_path_of(rule.rule), request.method.lower()))
    if validator is None:
        return
    fields: dict[str, str] = {}
    for error in sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path]):
        for place, message in _explain(error):
            fields.setdefault(place, message)
    if fields:
        explain = DOMAIN_WORDING.get((_path_of(rule.rule), request.method.lower()))
        domain = explain(body) if explain else {}
        # A past due date may be allowed for a milestone the terms in force already had (the service
        # knows them; this edge does not): word only due dates the schema flagged too.
        domain = {k: v for k, v in domain.items() if k in fields or not k.endswith(".due")}
        raise Invalid("Please correct the highlighted fields.", fields={**fields, **domain})


def _terms_wording(body: Any) -> dict[str, str]:
    """The terms validator names every bad field in the freelancer's words (a past deadline too)."""
    from workspace.domain.agreement import validate_terms

    try:
        validate_terms(body, datetime.now(timezone.utc).date())
    except Invalid as refused:
        return refused.fields
    return {}


# Operations whose domain validator words every field better than a schema can: on a refusal its
# messages join (and replace) the schema's, so a form shows every problem at once.
DOMAIN_WORDING = {("/jobs/{job_id}/agreements", "post"): _terms_wording}


def _path_of(rule: str) -> str:
    """Flask's '/api/v1/jobs/<job_id>/x/<int:n>' as the document's '/jobs/{job_id}/x/{n}'."""
    return RULE_ARG.sub(r"{\1}", rule[len(API_PREFIX):])


@lru_cache(maxsize=1)
def _validators() -> dict[tuple[str, str], Draft202012Validator]:
    from workspace.web.openapi import openapi_document

    document = openapi_document()
    components = document["components"]
    found: dict[tuple[str, str], Draft202012Validator] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if schema is not None:
                found[(path, method)] = Draft202012Validator({**schema, "components": components},
                                                             format_checker=FormatChecker())
    return found


def _where(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "body"


def _explain(error: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs a person can act on, for one schema error."""
    where, kind, value = _where(error), error.validator, error.validator_value
    if kind in ("oneOf", "anyOf") and error.context:
        return _explain(best_match(error.context))
    if kind == "required":
        missing = [name for name in value if isinstance(error.instance, dict) and name not in error.instance]
        prefix = "" if where == "body" else f"{where}."
        worded = error.schema.get("properties", {})
        return [(f"{prefix}{name}", worded.get(name, {}).get("x-message", "Required.")) for name in missing] \
            or [(where, "Required.")]
    if kind == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        prefix = "" if where == "body" else f"{where}."
        return [(f"{prefix}{k}"[:100], "Unknown field.") for k in extra[:10]] or [(where, "Unknown field.")]
    return [(where[:100], error.schema.get("x-message") or _message(kind, value, error))]


def _message(kind: str, value: Any, error: ValidationError) -> str:
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        words = {"string": "text", "integer": "a whole number", "boolean": "true or false", "object": "an object",
                 "array": "a list", "number": "a number", "null": "null"}
        return "Must be " + " or ".join(words.get(n, n) for n in names) + "."
    if kind == "minLength":
        return "Required." if value <= 1 else f"Must be at least {value} characters."
    if kind == "maxLength":
        return f"Must be at most {value} characters."
    if kind == "pattern":
        return "Required." if error.schema.get("minLength") else "Contains a character that is not allowed."
    if kind == "minimum":
        return f"Must be at least {value}."
    if kind == "maximum":
        return f"Must be at most {value}."
    if kind in ("enum", "const"):
        options = value if isinstance(value, list) else [value]
        return "Must be one of: " + ", ".join(str(o) for o in options[:12]) + ("…" if len(options) > 12 else "") + "."
    if kind == "minItems":
        return f"Needs at least {value}."
    if kind == "maxItems":
        return f"At most {value}."
    if kind == "format":
        return {"date": "Use a date like 2026-12-31."}.get(value, f"Must be a valid {value}.")
    if kind == "uniqueItems":
        return "Each value only once."
    return "Not valid here."
