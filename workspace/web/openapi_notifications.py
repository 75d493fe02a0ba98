"""OpenAPI paths of web/api_notifications.py (merged into the document by web/openapi.py)."""
from __future__ import annotations

from typing import Any


def notification_paths() -> dict[str, Any]:
    from workspace.domain.notify_rules import KINDS, MODES, PROTECTED, mode_allowed
    from workspace.services.notifications import PROTECTED_WORDING
    from workspace.web.api_notifications import UNREAD_VALUES
    from workspace.web.openapi import ID, _in, _obj, _ok, _op  # here, not at the top: openapi imports this module

    notification = _obj(
        ["id", "job", "seq", "kind", "title", "body", "url", "at", "read"],
        id={"type": "integer"}, job={"type": "string", "description": "the job's public id"},
        seq={"type": ["integer", "null"], "description": "the room event it is about"},
        kind={"type": "string", "description": "a settings kind, e.g. milestones, money, messages"},
        title={"type": "string"}, body={"type": "string"},
        url={"type": "string", "description": "opens the room at the event: /jobs/{job}/?event={seq}#event-{seq}"},
        at={"type": "string", "format": "date-time"}, read={"type": "boolean"},
    )
    mode = {"type": "string", "enum": ["immediate", "digest", "off"]}
    settings = _obj(
        ["settings", "kinds"],
        settings={"type": "object", "additionalProperties": mode, "description": "kind -> email mode"},
        kinds={"type": "array", "items": _obj(
            ["kind", "label", "mode", "protected", "modes"], kind={"type": "string"}, label={"type": "string"},
            mode=mode, protected={"type": "boolean", "description": "protects you: may wait for the digest, never off"},
            modes={"type": "array", "items": mode, "description": "the modes this kind allows"})},
    )
    return {
        "/notifications": {"get": _op("My notifications, newest first, paged by id", {
            **_ok("200", "OK", _obj(["notifications", "unread", "more"],
                                    notifications={"type": "array", "items": notification},
                                    unread={"type": "integer", "description": "all my unread notifications"},
                                    more={"type": "boolean", "description": "older ones exist: ask with before"})),
            }, params=[
            {"name": "unread", "in": "query", "schema": {"type": "string", "enum": list(UNREAD_VALUES)},
             "description": "1 or true: only unread ones"},
            {"name": "before", "in": "query", "schema": ID,
             "description": "older pages: notifications with id < before (the last id of the previous page)"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
        ])},
        "/notifications/read": {"post": _op("Mark some or all of my notifications read (other tabs hear the count)", {
            **_ok("200", "OK", _obj(["marked", "unread"], marked={"type": "integer"}, unread={"type": "integer"}))},
            body={"oneOf": [
                _in(["ids"], ids={"type": "array", "items": ID, "minItems": 1, "maxItems": 500}),
                _in(["all"], all={"type": "boolean", "const": True}),
            ]})},
        "/me/notification-settings": {
            "get": _op("My email settings per kind of notification", {**_ok("200", "OK", settings)}),
            "put": _op("Change email modes per kind (protected kinds cannot be off)", {
                **_ok("200", "Saved", settings)},
                body=_in(["settings"], settings={
                    "type": "object", "minProperties": 1, "additionalProperties": False,
                    "properties": {kind: {"type": "string", "enum": [m for m in MODES if mode_allowed(kind, m)],
                                          **({"x-message": PROTECTED_WORDING} if kind in PROTECTED else {})}
                                   for kind in KINDS},
                    "description": "kind -> mode; kinds left out keep their mode"})),
        },
    }
