"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
MESSAGE_ID = {"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}
VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(status: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {status: response}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "Error", "content": {"application/json": {"schema": _ref("Error")}}}
            for s in statuses}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _op(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, auth: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    if not auth:
        op["security"] = []
    return op


SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error"], error=_obj(["code", "message"], code={"type": "string"},
                                        message={"type": "string"},
                                        fields={"type": "object", "additionalProperties": {"type": "string"}})),
    "User": _obj(["id", "name", "email"], id={"type": "integer"}, name={"type": "string"},
                 email={"type": "string"}, created_at={"type": "string", "format": "date-time"}),
    "MilestonePlan": _obj(
        ["title", "amount", "due"], title={"type": "string", "maxLength": 200},
        amount={"type": "integer", "minimum": 1, "description": "minor units"},
        due={"type": "string", "format": "date"},
        criteria={"type": "array", "items": {"type": "string"}, "maxItems": 20},
        revisions={"type": "integer", "minimum": 0, "maximum": 20},
    ),
    "Terms": _obj(
        ["scope", "deadline", "currency", "milestones", "update_every_hours", "auto_approve_days"],
        scope={"type": "string", "description": "Markdown"},
        deadline={"type": "string", "format": "date"},
        currency={"type": "string", "pattern": "^[A-Z]{3}$"},
        upfront=_obj(["kind"], kind={"type": "string", "enum": ["none", "portion", "all"]},
                     amount={"type": "integer", "minimum": 1}),
        milestones={"type": "array", "minItems": 1, "items": _ref("MilestonePlan")},
        update_every_hours={"type": "integer", "minimum": 1, "maximum": 720},
        auto_approve_days={"type": "integer", "minimum": 1, "maximum": 90},
    ),
    "Agreement": _obj(["version", "status", "terms", "terms_hash"], version={"type": "integer"},
                      status={"type": "string", "enum": ["proposed", "in_force", "superseded", "replaced"]},
                      terms=_ref("Terms"), terms_hash={"type": "string"}, total={"type": "integer"},
                      upfront_due={"type": "integer"}, acceptances={"type": "array", "items": {"type": "object"}}),
    "Milestone": _obj(["id", "title", "amount", "due", "state"], id={"type": "integer"},
                      title={"type": "string"}, amount={"type": "integer"},
                      due={"type": "string", "format": "date"}, state={"type": "string"}),
    "Job": _obj(
        ["id", "title", "status"], id={"type": "string"}, title={"type": "string"},
        description={"type": "string"}, status={"type": "string", "enum": ["draft", "active", "completed"]},
        role={"type": "string"}, last_seq={"type": "integer"},
        members={"type": "array", "items": _obj(["id", "name", "role"], id={"type": "integer"},
                                                name={"type": "string"}, role={"type": "string"})},
        agreement={"oneOf": [_ref("Agreement"), {"type": "null"}]},
        pending_agreement={"oneOf": [_ref("Agreement"), {"type": "null"}]},
        milestones={"type": "array", "items": _ref("Milestone")},
    ),
    "Event": _obj(["job", "seq", "type", "at", "data"], job={"type": "string"}, seq={"type": "integer"},
                  type={"type": "string"}, at={"type": "string", "format": "date-time"},
                  actor={"type": ["object", "null"]}, data={"type": "object"}),
    "Attachment": _obj(["id", "name", "type", "size", "url"], id={"type": "string"}, name={"type": "string"},
                       type={"type": "string"}, size={"type": "integer"}, url={"type": "string"},
                       thumb_url={"type": ["string", "null"]}),
    "Invite": _obj(["role", "expires_at"], id={"type": "integer"}, token={"type": "string"},
                   url={"type": "string"}, role={"type": "string", "enum": ["client", "viewer"]},
                   state={"type": "string"}, expires_at={"type": "string", "format": "date-time"}),
}


def openapi_document() -> dict[str, Any]:
    from workspace.web.openapi_accounts import account_paths
    from workspace.web.openapi_notifications import notification_paths

    job = _obj(["job"], job=_ref("Job"))
    agreement = _obj(["agreement"], agreement=_ref("Agreement"))
    event = _obj(["event"], event=_ref("Event"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Workspace API", "version": "1",
                 "description": "Jobs, agreements and room events. Money is integer minor units."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/tokens": {
                "post": _op("Exchange email and password for an API token", {
                    **_ok("201", "Created", _obj(["token"], token={"type": "string"})),
                    **_errors(400, 401, 413, 422, 429)}, auth=False,
                    body=_obj(["email", "password"], email={"type": "string"}, password={"type": "string"},
                              name={"type": "string"})),
                "get": _op("My live API tokens", {**_ok("200", "OK"), **_errors(401)}),
            },
            "/tokens/{token_id}": {"delete": _op("Revoke a token", {**_ok("204", "Revoked"), **_errors(401, 404)},
                                                 params=[{"name": "token_id", "in": "path", "required": True,
                                                          "schema": {"type": "integer"}}])},
            # "/signup" and "/me" are described with the account routes (openapi_accounts.py).
            "/jobs": {
                "post": _op("Create a job (you become its freelancer)", {
                    **_ok("201", "Created", job), **_errors(400, 401, 413, 422)},
                    body=_obj(["title"], title={"type": "string"}, description={"type": "string"})),
                "get": _op("My jobs", {**_ok("200", "OK"), **_errors(401)}),
            },
            "/jobs/{job_id}": {"get": _op("A job I am a member of", {**_ok("200", "OK", job), **_errors(401, 404)},
                                          params=[JOB_ID])},
            "/jobs/{job_id}/invites": {
                "post": _op("Create an invitation link", {
                    **_ok("201", "Created", _obj(["invite"], invite=_ref("Invite"))),
                    **_errors(400, 401, 403, 404, 422)}, params=[JOB_ID],
                    body=_obj(["role"], role={"type": "string", "enum": ["client", "viewer"]})),
                "get": _op("Invitations of a job", {**_ok("200", "OK"), **_errors(401, 403, 404)}, params=[JOB_ID]),
            },
            "/jobs/{job_id}/invites/{invite_id}/revoke": {"post": _op("Revoke an unused invitation", {
                **_ok("200", "Revoked", _obj(["invite"], invite=_ref("Invite"))),
                **_errors(401, 403, 404, 409)},
                params=[JOB_ID, {"name": "invite_id", "in": "path", "required": True, "schema": {"type": "integer"}}])},
            "/invites/{token}": {"get": _op("What an invitation offers", {**_ok("200", "OK"), **_errors(404)},
                                            params=[{"name": "token", "in": "path", "required": True,
                                                     "schema": {"type": "string"}}], auth=False)},
            "/invites/{token}/accept": {"post": _op("Join a job with an invitation", {
                **_ok("200", "Joined", job), **_errors(401, 404, 409)},
                params=[{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}])},
            "/jobs/{job_id}/agreements": {
                "post": _op("Propose terms (a new version; counts as your acceptance)", {
                    **_ok("201", "Proposed", agreement), **_errors(400, 401, 403, 404, 409, 413, 422)},
                    params=[JOB_ID], body=_ref("Terms")),
                "get": _op("Every version", {**_ok("200", "OK"), **_errors(401, 404)}, params=[JOB_ID]),
            },
            "/jobs/{job_id}/agreements/{version}": {"get": _op("One version", {
                **_ok("200", "OK", agreement), **_errors(401, 404)}, params=[JOB_ID, VERSION])},
            "/jobs/{job_id}/agreements/{version}/accept": {"post": _op("Accept the exact terms of a version", {
                **_ok("200", "Accepted", agreement), **_errors(400, 401, 403, 404, 409)},
                params=[JOB_ID, VERSION], body=_obj([], terms_hash={"type": "string"}))},
            "/jobs/{job_id}/events": {"get": _op("Room events after a cursor", {
                **_ok("200", "OK", _obj(["events", "last_seq", "more"],
                                        events={"type": "array", "items": _ref("Event")},
                                        last_seq={"type": "integer"}, more={"type": "boolean"})),
                **_errors(401, 404, 422)}, params=[
                JOB_ID, {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 0},
                 "description": "older history: events with seq < before (then `after` is ignored)"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}])},
            "/jobs/{job_id}/messages": {"post": _op("Post a message (Markdown); client_ref makes retries idempotent", {
                **_ok("201", "Posted", event), **_errors(400, 401, 403, 404, 413, 422)}, params=[JOB_ID],
                body=_obj([], body={"type": "string", "maxLength": 10000}, reply_to={"type": "integer"},
                          client_ref={"type": "string", "maxLength": 64},
                          attachments={"type": "array", "items": {"type": "string"}, "maxItems": 10}))},
            "/jobs/{job_id}/messages/{message_id}": {
                "patch": _op("Edit my message (within 15 minutes)", {
                    **_ok("200", "Edited", event), **_errors(400, 401, 403, 404, 422)},
                    params=[JOB_ID, MESSAGE_ID], body=_obj(["body"], body={"type": "string"})),
                "delete": _op("Delete my message", {**_ok("200", "Deleted", event), **_errors(401, 403, 404)},
                              params=[JOB_ID, MESSAGE_ID]),
            },
            "/jobs/{job_id}/progress": {"post": _op("Post a progress update (freelancer)", {
                **_ok("201", "Posted", event), **_errors(400, 401, 403, 404, 422)}, params=[JOB_ID],
                body=_obj(["percent"], percent={"type": "integer", "minimum": 0, "maximum": 100},
                          note={"type": "string"}, milestone_id={"type": "integer"}))},
            "/jobs/{job_id}/read": {"post": _op("Move my read cursor", {
                **_ok("200", "OK", _obj(["last_read_seq"], last_read_seq={"type": "integer"})),
                **_errors(400, 401, 404, 422)}, params=[JOB_ID], body=_obj(["seq"], seq={"type": "integer"}))},
            "/jobs/{job_id}/members/{user_id}": {"delete": _op("Remove a member (freelancer)", {
                **_ok("200", "Removed", event), **_errors(401, 403, 404, 409)},
                params=[JOB_ID, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}])},
            "/jobs/{job_id}/members/{user_id}/admit": {"post": _op(
                "Admit a client who is joining (full clients only; repeating it answers the same). They become a "
                "client once they accepted the terms in force and every full client admitted them", {
                    **_ok("200", "Admitted", _obj(["member"], member=_obj(
                        ["user", "role", "accepted", "admitted_by", "waiting_for"],
                        user=_obj(["id", "name"], id={"type": "integer"}, name={"type": "string"}),
                        role={"type": "string", "enum": ["client", "client_pending"]},
                        accepted={"type": "boolean", "description": "accepted the terms in force"},
                        admitted_by={"type": "array", "items": {"type": "object"}},
                        waiting_for={"type": "array", "items": {"type": "object"},
                                     "description": "full clients whose admission is still missing"}))),
                    **_errors(401, 403, 404, 409)},
                params=[JOB_ID, {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}])},
            "/jobs/{job_id}/attachments": {"post": {
                "summary": "Upload a file (multipart field 'file'); attach it by id in a message",
                "parameters": [JOB_ID],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _obj(
                    ["file"], file={"type": "string", "format": "binary"})}}},
                "responses": {**_ok("201", "Stored", _obj(["attachment"], attachment=_ref("Attachment"))),
                              **_errors(400, 401, 403, 404, 413, 422)}}},
            **money_paths(),
            **live_paths(),
            **account_paths(),
            **notification_paths(),
        },
    }


ID = {"type": "integer"}
MILESTONE = {"name": "milestone_id", "in": "path", "required": True, "schema": ID}
PAYMENT = {"name": "payment_id", "in": "path", "required": True, "schema": ID}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string", "maxLength": 100},
               "description": "a repeat with the same key returns the first result and changes nothing"}


def money_paths() -> dict[str, Any]:
    milestone = _obj(["milestone"], milestone=_ref("Milestone"))
    paid = _obj(["payment", "balances"], payment={"type": "object"}, balances={"type": "object"})
    return {
        "/milestones/{milestone_id}/submit": {"post": _op("Submit a milestone for review (freelancer)", {
            **_ok("200", "Submitted", milestone), **_errors(400, 401, 403, 404, 409, 422)}, params=[MILESTONE],
            body=_obj([], note={"type": "string"}, attachments={"type": "array", "items": {"type": "string"}}))},
        "/milestones/{milestone_id}/approve": {"post": _op("Approve a submission (client); money becomes owed", {
            **_ok("200", "Approved", milestone), **_errors(400, 401, 403, 404, 409)}, params=[MILESTONE, IDEMPOTENCY])},
        "/milestones/{milestone_id}/request-changes": {"post": _op("Request changes (client)", {
            **_ok("200", "Changes requested", milestone), **_errors(400, 401, 403, 404, 409, 422)}, params=[MILESTONE],
            body=_obj(["reason"], reason={"type": "string"}, criteria={"type": "array", "items": ID},
                      out_of_scope={"type": "boolean"}))},
        "/milestones/{milestone_id}/cancel": {"post": _op("Ask to cancel; cancelled when both sides asked", {
            **_ok("200", "OK", milestone), **_errors(400, 401, 403, 404, 409)}, params=[MILESTONE])},
        "/milestones/{milestone_id}/change-order": {"post": _op("Price extra work as a new agreement version", {
            **_ok("201", "Proposed", _obj(["agreement"], agreement=_ref("Agreement"))),
            **_errors(400, 401, 403, 404, 409, 422)}, params=[MILESTONE],
            body=_obj(["amount"], amount={"type": "integer", "minimum": 1}, title={"type": "string"}))},
        "/jobs/{job_id}/payments": {
            "post": _op("Record a payment sent (client)", {**_ok("201", "Sent", paid),
                                                           **_errors(400, 401, 403, 404, 409, 422)},
                        params=[JOB_ID, IDEMPOTENCY],
                        body=_obj(["amount", "method"], amount={"type": "integer", "minimum": 1},
                                  method={"type": "string", "enum": ["bank_transfer", "paypal", "wise", "card", "cash", "other"]},
                                  reference={"type": "string"}, note={"type": "string"})),
            "get": _op("Payments of a job", {**_ok("200", "OK"), **_errors(401, 404)}, params=[JOB_ID]),
        },
        "/payments/{payment_id}/confirm": {"post": _op("Confirm money arrived (freelancer)", {
            **_ok("200", "Confirmed", paid), **_errors(400, 401, 403, 404, 409)}, params=[PAYMENT, IDEMPOTENCY])},
        "/payments/{payment_id}/dispute": {"post": _op("Say money did not arrive (freelancer)", {
            **_ok("200", "Disputed", paid), **_errors(400, 401, 403, 404, 409, 422)}, params=[PAYMENT],
            body=_obj(["reason"], reason={"type": "string"}))},
        "/payments/{payment_id}/receipt.pdf": {"get": _op("PDF receipt of a confirmed payment", {
            "200": {"description": "PDF", "content": {"application/pdf": {}}}, **_errors(401, 404, 409)},
            params=[PAYMENT])},
        "/jobs/{job_id}/statement.pdf": {"get": _op("PDF statement of the job", {
            "200": {"description": "PDF", "content": {"application/pdf": {}}}, **_errors(401, 404, 409)},
            params=[JOB_ID])},
        "/jobs/{job_id}/ledger": {"get": _op("The job's double-entry ledger and balances", {
            **_ok("200", "OK", _obj(["transactions", "balances"], transactions={"type": "array", "items": _obj(
                ["id", "kind", "at", "entries"], id=ID, kind={"type": "string"}, at={"type": "string"},
                entries={"type": "array", "items": _obj(["account", "amount"], account={"type": "string"}, amount=ID)})},
                balances={"type": "object", "additionalProperties": ID})), **_errors(401, 404)}, params=[JOB_ID])},
        "/jobs/{job_id}/reviews": {"post": _op("Review the other side of a completed job", {
            **_ok("201", "Posted"), **_errors(400, 401, 403, 404, 409, 422)}, params=[JOB_ID],
            body=_obj(["rating"], rating={"type": "integer", "minimum": 1, "maximum": 5}, text={"type": "string"},
                      consent_to_name={"type": "boolean"}))},
        "/profiles/{profile_id}": {"get": _op("A freelancer's public profile and reviews (ids are unguessable)", {
            **_ok("200", "OK"), **_errors(404)}, params=[{"name": "profile_id", "in": "path", "required": True,
                                                          "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,32}$"}}],
            auth=False)},
    }


def live_paths() -> dict[str, Any]:
    snapshot = {"name": "snapshot_id", "in": "path", "required": True, "schema": ID}
    session = {"name": "session_id", "in": "path", "required": True, "schema": ID}
    return {
        "/jobs/{job_id}/live": {"get": _op("The live session now, if any", {**_ok("200", "OK"), **_errors(401, 404)},
                                           params=[JOB_ID])},
        "/jobs/{job_id}/diary": {"get": _op("The work diary: sessions by day, snapshots, totals", {
            **_ok("200", "OK"), **_errors(401, 404)}, params=[JOB_ID])},
        "/jobs/{job_id}/diary/settings": {"put": _op("Snapshot interval in seconds (0 = off; freelancer)", {
            **_ok("200", "OK"), **_errors(400, 401, 403, 404, 422)}, params=[JOB_ID],
            body=_obj(["snapshot_seconds"], snapshot_seconds=ID))},
        "/jobs/{job_id}/sessions/{session_id}/snapshots": {"post": {
            "summary": "Upload a snapshot of the shared screen (publisher's page)", "parameters": [JOB_ID, session],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _obj(
                ["file"], file={"type": "string", "format": "binary"})}}},
            "responses": {**_ok("201", "Stored"), **_errors(400, 401, 403, 404, 409, 413, 422)}}},
        "/snapshots/{snapshot_id}": {"delete": _op("Delete a snapshot within the grace period (freelancer)", {
            **_ok("200", "Deleted"), **_errors(401, 403, 404)}, params=[snapshot])},
    }
