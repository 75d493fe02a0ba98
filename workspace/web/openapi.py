"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from typing import Any

NO_NUL = "^[^\\u0000]*$"  # PostgreSQL text holds no NUL, and no person types one
# What Python's str.strip() and re's \\s treat as space, spelled out: regex engines disagree on \\s
# (ECMAScript's leaves out U+001C..U+001F and U+0085 and adds U+FEFF), so the document names each one.
SPACE = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
FILLED = f"^[^\\u0000]*[^{SPACE}\\u0000][^\\u0000]*$"  # some text that is not only spaces
ID_MAX = 2**31 - 1  # the row id columns
MAX_AMOUNT = 10**13  # workspace.domain.money.MAX_AMOUNT
ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
SEQ = {"type": "integer", "minimum": 0, "maximum": ID_MAX}
AMOUNT = {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT, "description": "minor units"}
PUBLIC_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,32}$"}


def _text(max_length: int | None = None, *, filled: bool = False, nullable: bool = False,
          message: str | None = None) -> dict[str, Any]:
    """A string as the server takes it: no NUL; `filled` = not empty or only spaces."""
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string",
                              "pattern": FILLED if filled else NO_NUL}
    if filled:
        schema["minLength"] = 1
    if max_length is not None:
        schema["maxLength"] = max_length
    if message:
        schema["x-message"] = message
    return schema


def _path(name: str, schema: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    param = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        param["description"] = description
    return param


JOB_ID = _path("job_id", PUBLIC_ID)
MESSAGE_ID = _path("message_id", ID)
VERSION = _path("version", ID)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(status: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return {status: response}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": ERROR_TEXT.get(s, "Error"),
                     "content": {"application/json": {"schema": _ref("Error")}}} for s in statuses}


ERROR_TEXT = {
    400: "Malformed request (not JSON)", 401: "Not signed in, or the token is revoked",
    403: "Your role may not do this", 404: "No such thing, or not yours to see", 405: "Method not allowed",
    409: "Not in this state", 413: "Too large", 422: "Invalid fields (error.fields names each)",
    429: "Too many requests; Retry-After says when to try again",
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    """A body may be left out when none of its fields is required (it then reads as {})."""
    optional = schema.get("type") == "object" and not schema.get("required")
    return {"required": not optional, "content": {"application/json": {"schema": schema}}}


def _obj(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def _in(required: list[str], **props: Any) -> dict[str, Any]:
    """A request object: exactly these fields (an unknown one is refused with 422)."""
    return {**_obj(required, **props), "additionalProperties": False}


def _op(summary: str, responses: dict[str, Any], *, body: dict[str, Any] | None = None,
        params: list[dict[str, Any]] | None = None, auth: bool = True) -> dict[str, Any]:
    """One operation. The statuses every operation of its kind can answer are added here: 401 with
    auth, 404 with path parameters, 400/413/422 with a body, 422 with query parameters."""
    extra: set[int] = set()
    if auth:
        extra.add(401)
    if any(p["in"] == "path" for p in params or []):
        extra.add(404)
    if body is not None:
        extra.update((400, 413, 422))
    if any(p["in"] == "query" for p in params or []):
        extra.add(422)
    op: dict[str, Any] = {"summary": summary,
                          "responses": {**responses, **_errors(*sorted(extra - {int(k) for k in responses}))}}
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    if not auth:
        op["security"] = []
    return op


def _terms_input() -> dict[str, Any]:
    from workspace.domain.agreement import LIMITS
    from workspace.domain.money import CURRENCIES

    milestone = _in(
        ["title", "amount", "due"], title=_text(LIMITS["title"], filled=True, message="Give the milestone a title."),
        amount=AMOUNT, due={"type": "string", "format": "date", "description": "on or before the deadline"},
        criteria={"type": ["array", "null"], "items": _text(LIMITS["criterion"]), "maxItems": LIMITS["criteria"]},
        revisions={"type": "integer", "minimum": 0, "maximum": LIMITS["revisions"]},
    )
    upfront = {"oneOf": [
        _in(["kind"], kind={"type": "string", "enum": ["none", "all"]}, amount={"type": "integer", "minimum": 0,
                                                                                 "maximum": MAX_AMOUNT}),
        _in(["kind", "amount"], kind={"type": "string", "const": "portion"},
            amount={**AMOUNT, "description": "minor units, less than the total"}),
    ]}
    return {**_in(
        ["scope", "deadline", "currency", "milestones", "update_every_hours", "auto_approve_days"],
        scope=_text(LIMITS["scope"], filled=True, message="Describe the scope of the work."),
        deadline={"type": "string", "format": "date", "description": "today or later"},
        currency={"type": "string", "enum": list(CURRENCIES), "description": "ISO 4217; fixed once terms are in force"},
        upfront={"oneOf": [upfront, {"type": "null"}]},
        milestones={"type": "array", "minItems": 1, "maxItems": LIMITS["milestones"], "items": milestone},
        update_every_hours={"type": "integer", "minimum": 1, "maximum": LIMITS["update_every_hours"]},
        auto_approve_days={"type": "integer", "minimum": 1, "maximum": LIMITS["auto_approve_days"]},
        mediation_binding={"type": ["boolean", "null"],
                           "description": "true: a mediator's resolution of a dispute takes effect without the "
                                          "parties' acceptance"},
    ), "description": "Rules a schema cannot state: the deadline is not in the past, no milestone is due after "
                      "it, a portion up front is less than the total, the total is at most 10^13 minor units, "
                      "and the currency cannot change once terms are in force (each answers 422 naming the field)."}


SCHEMAS: dict[str, Any] = {
    "Error": _obj(["error"], error=_obj(["code", "message"], code={"type": "string"},
                                        message={"type": "string"},
                                        fields={"type": "object", "additionalProperties": {"type": "string"}})),
    "User": _obj(["id", "name", "email"], id={"type": "integer"}, name={"type": "string"},
                 email={"type": "string"}, created_at={"type": "string", "format": "date-time"},
                 profile_url={"type": ["string", "null"], "description": "the public profile (people who freelance)"}),
    "Terms": _obj(
        ["scope", "deadline", "currency", "milestones", "update_every_hours", "auto_approve_days"],
        scope={"type": "string", "description": "Markdown"}, deadline={"type": "string", "format": "date"},
        currency={"type": "string"}, upfront=_obj(["kind"], kind={"type": "string"}, amount={"type": "integer"}),
        milestones={"type": "array", "items": _obj(["title", "amount", "due"], title={"type": "string"},
                                                   amount={"type": "integer"}, due={"type": "string"})},
        update_every_hours={"type": "integer"}, auto_approve_days={"type": "integer"},
        mediation_binding={"type": "boolean"},
    ),
    "TermsInput": _terms_input(),
    "Agreement": _obj(["version", "status", "terms", "terms_hash"], version={"type": "integer"},
                      status={"type": "string", "enum": ["proposed", "in_force", "superseded", "replaced"]},
                      terms=_ref("Terms"), terms_hash={"type": "string"}, total={"type": "integer"},
                      upfront_due={"type": "integer"}, acceptances={"type": "array", "items": {"type": "object"}},
                      awaiting={"type": "array", "description": "whose consent this version still needs: for a "
                                "proposal the freelancer or clients who have not accepted; in force, clients still "
                                "joining (accepted?, admitted_by, waiting_for: full clients yet to admit them)",
                                "items": _obj(["user", "role"], user=_obj(["id", "name"], id={"type": "integer"},
                                                                          name={"type": "string"}),
                                              role={"type": "string"}, accepted={"type": "boolean"},
                                              admitted_by={"type": "array", "items": {"type": "object"}},
                                              waiting_for={"type": "array", "items": {"type": "object"}},
                                              actions={"type": "array", "items": {"type": "string",
                                                                                  "enum": ["admit"]}})}),
    "Paid": _obj(["amount", "currency", "confirmed", "display"], amount={"type": "integer"},
                 currency={"type": ["string", "null"]}, display={"type": "string"},
                 confirmed={"type": "boolean", "description": "the freelancer confirmed payments of this amount"}),
    "Review": _obj(["id", "rating", "paid"], id={"type": "integer"}, rating={"type": "integer"},
                   text={"type": "string"}, author={"type": ["string", "null"]}, job={"type": ["string", "null"]},
                   created_at={"type": "string"}, paid=_ref("Paid")),
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
    "Event": {**_obj(["job", "seq", "type", "at", "data", "data_digest", "prev_hash", "hash"],
                     job={"type": "string"}, seq={"type": "integer"},
                     type={"type": "string"}, at={"type": "string", "format": "date-time"},
                     actor={"type": ["object", "null"]}, data={"type": "object"},
                     data_digest={"type": "string", "pattern": "^[0-9a-f]{64}$"},
                     prev_hash={"type": "string", "pattern": "^[0-9a-f]{64}$"},
                     hash={"type": "string", "pattern": "^[0-9a-f]{64}$"}),
              "description": "A room event. `hash` = sha256(prev_hash + canonical JSON of {job, seq, type, at, "
                             "actor_id, data_digest}) (sorted keys, no spaces, UTF-8; actor_id is actor.id or "
                             "null); `prev_hash` is the previous event's hash (64 zeros for seq 1); `data_digest` "
                             "is the sha256 of the canonical JSON of the data as stored (facts, before HTML and "
                             "URLs are added), kept when the content is erased."},
    "Attachment": _obj(["id", "name", "type", "size", "url"], id={"type": "string"}, name={"type": "string"},
                       type={"type": "string"}, size={"type": "integer"}, url={"type": "string"},
                       thumb_url={"type": ["string", "null"]}),
    "Invite": _obj(["role", "expires_at"], id={"type": "integer"}, token={"type": "string"},
                   url={"type": "string"}, role={"type": "string", "enum": ["client", "viewer", "mediator"]},
                   state={"type": "string"}, expires_at={"type": "string", "format": "date-time"}),
}


def openapi_document() -> dict[str, Any]:
    from workspace.web.openapi_accounts import account_paths
    from workspace.web.openapi_disputes import dispute_paths
    from workspace.web.openapi_invoices import invoice_paths
    from workspace.web.openapi_links import with_links
    from workspace.web.openapi_notifications import notification_paths

    job = _obj(["job"], job=_ref("Job"))
    agreement = _obj(["agreement"], agreement=_ref("Agreement"))
    event = _obj(["event"], event=_ref("Event"))
    invite_id = _path("invite_id", ID)
    token = _path("token", _text(200, filled=True), "the token from the invitation link")
    return with_links({
        "openapi": "3.1.0",
        "info": {"title": "Workspace API", "version": "1",
                 "description": "Jobs, agreements and room events. Money is integer minor units. Request "
                                "bodies are checked against this document: a field it does not name is refused."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/tokens": {
                "post": _op("Exchange email and password for an API token", {
                    **_ok("201", "Created", _obj(["token"], token={"type": "string"},
                                                 token_info=_obj(["id"], id={"type": "integer"}))),
                    **_errors(401, 429)}, auth=False,
                    body=_in(["email", "password"], email=_text(254, filled=True), password=_text(1024, filled=True),
                             name=_text(100, nullable=True))),
                "get": _op("My live API tokens", {**_ok("200", "OK")}),
            },
            "/tokens/{token_id}": {"delete": _op("Revoke a token", {**_ok("204", "Revoked")},
                                                 params=[_path("token_id", ID)])},
            # "/signup" and "/me" are described with the account routes (openapi_accounts.py).
            "/jobs": {
                "post": _op("Create a job (you become its freelancer)", {**_ok("201", "Created", job), **_errors(429)},
                            body=_in(["title"], title=_text(200, filled=True, message="Give the job a title."),
                                     description=_text(2000, nullable=True))),
                "get": _op("My jobs", {**_ok("200", "OK", _obj(["jobs"], jobs={"type": "array", "items": _obj(
                    ["id"], id={"type": "string"})}))}),
            },
            "/jobs/{job_id}": {"get": _op("A job I am a member of", {**_ok("200", "OK", job)}, params=[JOB_ID])},
            "/jobs/{job_id}/invites": {
                "post": _op("Create an invitation link", {
                    **_ok("201", "Created", _obj(["invite"], invite=_ref("Invite"))), **_errors(403, 409, 429)},
                    params=[JOB_ID], body=_in(["role"], role={"type": "string", "enum": ["client", "viewer", "mediator"]})),
                "get": _op("Invitations of a job", {**_ok("200", "OK"), **_errors(403)}, params=[JOB_ID]),
            },
            "/jobs/{job_id}/invites/{invite_id}/revoke": {"post": _op("Revoke an unused invitation", {
                **_ok("200", "Revoked", _obj(["invite"], invite=_ref("Invite"))), **_errors(403, 409, 429)},
                params=[JOB_ID, invite_id])},
            "/invites/{token}": {"get": _op("What an invitation offers", {**_ok("200", "OK", _obj(
                ["invite"], invite=_obj(["role", "joins_as", "state"], role={"type": "string"}, state={"type": "string"},
                                        joins_as={"type": "string", "enum": ["client", "client_pending", "viewer", "mediator"],
                                                  "description": "client_pending: terms are in force; the new client "
                                                                 "follows along until they accept and are admitted"})))},
                params=[token], auth=False)},
            "/invites/{token}/accept": {"post": _op("Join a job with an invitation", {
                **_ok("200", "Joined", job), **_errors(409, 429)}, params=[token])},
            "/jobs/{job_id}/agreements": {
                "post": _op("Propose terms (a new version; counts as your acceptance)", {
                    **_ok("201", "Proposed", agreement), **_errors(403, 409, 429)},
                    params=[JOB_ID], body=_ref("TermsInput")),
                "get": _op("Every version", {**_ok("200", "OK")}, params=[JOB_ID]),
            },
            "/jobs/{job_id}/agreements/{version}": {"get": _op("One version", {**_ok("200", "OK", agreement)},
                                                               params=[JOB_ID, VERSION])},
            "/jobs/{job_id}/agreements/{version}/accept": {"post": _op("Accept the exact terms of a version", {
                **_ok("200", "Accepted", agreement), **_errors(403, 409, 429)},
                params=[JOB_ID, VERSION], body=_in([], terms_hash=_text(64, nullable=True)))},
            "/jobs/{job_id}/events": {"get": _op("Room events after a cursor", {
                **_ok("200", "OK", _obj(["events", "last_seq", "more"],
                                        events={"type": "array", "items": _ref("Event")},
                                        last_seq={"type": "integer"}, more={"type": "boolean"}))}, params=[
                JOB_ID, {"name": "after", "in": "query", "schema": SEQ},
                {"name": "before", "in": "query", "schema": SEQ,
                 "description": "older history: events with seq < before (then `after` is ignored)"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}])},
            "/jobs/{job_id}/messages": {"post": _op("Post a message (Markdown); client_ref makes retries idempotent", {
                **_ok("201", "Posted", event), **_errors(403, 409, 429)}, params=[JOB_ID],
                body={**_in([], body=_text(10_000, nullable=True), reply_to={**ID, "type": ["integer", "null"]},
                            client_ref={**_text(64, nullable=True), "minLength": 1},
                            attachments={"type": ["array", "null"], "items": _text(32), "maxItems": 10}),
                      "anyOf": [{"required": ["body"], "properties": {"body": {"type": "string", "pattern": FILLED}}},
                                {"required": ["attachments"], "properties": {"attachments": {"type": "array",
                                                                                              "minItems": 1}}}],
                      "description": "A message needs some text or at least one attachment; attachments are "
                                     "ids from POST /jobs/{job_id}/attachments, each used once."})},
            "/jobs/{job_id}/messages/{message_id}": {
                "patch": _op("Edit my message (within 15 minutes)", {
                    **_ok("200", "Edited", event), **_errors(403, 409, 429)},
                    params=[JOB_ID, MESSAGE_ID], body=_in(["body"], body=_text(10_000, filled=True))),
                "delete": _op("Delete my message", {**_ok("200", "Deleted", event), **_errors(403, 409, 429)},
                              params=[JOB_ID, MESSAGE_ID]),
            },
            "/jobs/{job_id}/progress": {"post": _op("Post a progress update (freelancer)", {
                **_ok("201", "Posted", event), **_errors(403, 409, 429)}, params=[JOB_ID],
                body=_in(["percent"], percent={"type": "integer", "minimum": 0, "maximum": 100},
                         note=_text(2000, nullable=True), milestone_id={**ID, "type": ["integer", "null"]}))},
            "/jobs/{job_id}/read": {"post": _op("Move my read cursor", {
                **_ok("200", "OK", _obj(["last_read_seq"], last_read_seq={"type": "integer"})), **_errors(429)},
                params=[JOB_ID], body=_in(["seq"], seq=SEQ))},
            "/jobs/{job_id}/members/{user_id}": {"delete": _op("Remove a member (freelancer)", {
                **_ok("200", "Removed", event), **_errors(403, 409, 429)}, params=[JOB_ID, _path("user_id", ID)])},
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
                    **_errors(403, 409, 429)}, params=[JOB_ID, _path("user_id", ID)])},
            "/jobs/{job_id}/mediators/{user_id}/agree": {"post": _op(
                "Agree to a mediator (the freelancer or a client, for their side; repeating it answers the same). "
                "Terms that make mediation binding bind only to a mediator both sides agreed to", {
                    **_ok("200", "Agreed", _obj(["mediator"], mediator=_obj(
                        ["user", "agreed_by"],
                        user=_obj(["id", "name"], id={"type": "integer"}, name={"type": "string"}),
                        agreed_by={"type": "array", "items": {"type": "string", "enum": ["client", "freelancer"]}}))),
                    **_errors(403, 409, 429)}, params=[JOB_ID, _path("user_id", ID)])},
            "/jobs/{job_id}/attachments": {"post": {
                **_op("Upload a file (multipart field 'file'); attach it by id in a message", {
                    **_ok("201", "Stored", _obj(["attachment"], attachment=_ref("Attachment"))),
                    **_errors(400, 403, 413, 422, 429)}, params=[JOB_ID]),
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _obj(
                    ["file"], file={"type": "string", "format": "binary"})}}}}},
            "/keys": {"get": _op("The public key that signs checkpoints (Ed25519, raw 32 bytes, base64url)", {
                **_ok("200", "OK", _obj(["keys"], keys={"type": "array", "items": _obj(
                    ["key_id", "alg", "public_key"], key_id={"type": "string"},
                    alg={"type": "string", "const": "Ed25519"}, public_key={"type": "string"})}))}, auth=False)},
            "/jobs/{job_id}/checkpoint": {"get": _op(
                "The job's chain head signed now: verify `signature` over the canonical JSON of `checkpoint` "
                "(sorted keys, no spaces) with the key named by `key_id`", {
                    **_ok("200", "OK", _obj(
                        ["checkpoint", "signature", "key_id", "alg"], signature={"type": "string"},
                        key_id={"type": "string"}, alg={"type": "string", "const": "Ed25519"},
                        checkpoint=_obj(["job", "seq", "hash", "at"], job={"type": "string"}, seq={"type": "integer"},
                                        hash={"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                        at={"type": "string", "format": "date-time"})))}, params=[JOB_ID])},
            "/jobs/{job_id}/dossier.zip": {"get": _op(
                "The job's record as a zip, streamed: agreements, the event log with hashes, the ledger, receipts, "
                "files, the signed checkpoint, index.html, manifest.json (sha256 of every file, signed in "
                "signature.json) and verify.py (run `python3 -I verify.py` in the unzipped folder)", {
                    "200": {"description": "A zip", "content": {"application/zip": {
                        "schema": {"type": "string", "format": "binary"}}}},
                    **_errors(429)}, params=[JOB_ID])},
            **money_paths(),
            **live_paths(),
            **account_paths(),
            **notification_paths(),
            **dispute_paths(),
            **invoice_paths(),
        },
    })


MILESTONE = _path("milestone_id", ID)
PAYMENT = _path("payment_id", ID)
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": True,
               "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[\\x21-\\x7e]+$"},
               "description": "a repeat with the same key returns the first result and changes nothing"}
PDF = {"200": {"description": "PDF", "content": {"application/pdf": {}}}}


def money_paths() -> dict[str, Any]:
    milestone = _obj(["milestone"], milestone=_ref("Milestone"))
    paid = _obj(["payment", "balances"], payment={"type": "object"}, balances={"type": "object"})
    attachments = {"type": ["array", "null"], "items": _text(32), "maxItems": 10}
    return {
        "/milestones/{milestone_id}/submit": {"post": _op("Submit a milestone for review (freelancer)", {
            **_ok("200", "Submitted", milestone), **_errors(403, 409, 429)}, params=[MILESTONE],
            body=_in([], note=_text(10_000, nullable=True), attachments=attachments))},
        "/milestones/{milestone_id}/approve": {"post": _op("Approve a submission (client); money becomes owed", {
            **_ok("200", "Approved", milestone), **_errors(400, 403, 409, 422, 429)}, params=[MILESTONE, IDEMPOTENCY])},
        "/milestones/{milestone_id}/request-changes": {"post": _op("Request changes (client)", {
            **_ok("200", "Changes requested", milestone), **_errors(403, 409, 429)}, params=[MILESTONE],
            body=_in(["reason"], reason=_text(5_000, filled=True, message="Say why: the reason is required."),
                     criteria={"type": ["array", "null"], "items": {"type": "integer", "minimum": 0, "maximum": 19},
                               "maxItems": 20, "description": "indexes of the milestone's acceptance criteria"},
                     out_of_scope={"type": ["boolean", "null"]}))},
        "/milestones/{milestone_id}/cancel": {"post": _op("Ask to cancel; cancelled when both sides asked", {
            **_ok("200", "OK", milestone), **_errors(400, 403, 409, 429)}, params=[MILESTONE])},
        "/milestones/{milestone_id}/change-order": {"post": _op("Price extra work as a new agreement version", {
            **_ok("201", "Proposed", _obj(["agreement"], agreement=_ref("Agreement"))), **_errors(403, 409, 429)},
            params=[MILESTONE], body=_in(["amount"], amount=AMOUNT, title=_text(200, nullable=True)))},
        "/jobs/{job_id}/payments": {
            "post": _op("Record a payment sent (client)", {**_ok("201", "Sent", paid), **_errors(403, 409, 429)},
                        params=[JOB_ID, IDEMPOTENCY],
                        body=_in(["amount", "method"], amount=AMOUNT,
                                 method={"type": "string", "enum": ["bank_transfer", "paypal", "wise", "card", "cash", "other"]},
                                 reference=_text(200, nullable=True), note=_text(1000, nullable=True))),
            "get": _op("Payments of a job", {**_ok("200", "OK")}, params=[JOB_ID]),
        },
        "/payments/{payment_id}/confirm": {"post": _op("Confirm money arrived (freelancer)", {
            **_ok("200", "Confirmed", paid), **_errors(400, 403, 409, 422, 429)}, params=[PAYMENT, IDEMPOTENCY])},
        "/payments/{payment_id}/dispute": {"post": _op("Say money did not arrive (freelancer)", {
            **_ok("200", "Disputed", paid), **_errors(403, 409, 429)}, params=[PAYMENT],
            body=_in(["reason"], reason=_text(2000, filled=True)))},
        "/payments/{payment_id}/receipt.pdf": {"get": _op("PDF receipt of a confirmed payment", {
            **PDF, **_errors(409)}, params=[PAYMENT])},
        "/jobs/{job_id}/statement.pdf": {"get": _op("PDF statement of the job", {**PDF, **_errors(409)},
                                                    params=[JOB_ID])},
        "/jobs/{job_id}/ledger": {"get": _op("The job's double-entry ledger and balances", {
            **_ok("200", "OK", _obj(["transactions", "balances"], transactions={"type": "array", "items": _obj(
                ["id", "kind", "at", "entries"], id={"type": "integer"}, kind={"type": "string"}, at={"type": "string"},
                entries={"type": "array", "items": _obj(["account", "amount"], account={"type": "string"},
                                                        amount={"type": "integer"})})},
                balances={"type": "object"}))}, params=[JOB_ID])},
        "/jobs/{job_id}/reviews": {"post": _op("Review the other side of a completed job", {
            **_ok("201", "Posted", _obj(["review"], review=_ref("Review"))), **_errors(403, 409, 429)}, params=[JOB_ID],
            body=_in(["rating"], rating={"type": "integer", "minimum": 1, "maximum": 5}, text=_text(2000, nullable=True),
                     consent_to_name={"type": ["boolean", "null"]}))},
        "/profiles/{profile_id}": {"get": _op("A freelancer's public profile and reviews (ids are unguessable)", {
            **_ok("200", "OK", _obj(["user", "reviews", "count"], user=_obj(["name"], name={"type": "string"}),
                                    reviews={"type": "array", "items": _ref("Review")}, count={"type": "integer"},
                                    average={"type": ["number", "null"]}))}, params=[_path("profile_id", PUBLIC_ID)], auth=False)},
    }


def live_paths() -> dict[str, Any]:
    return {
        "/jobs/{job_id}/live": {"get": _op("The live session now, if any", {**_ok("200", "OK")}, params=[JOB_ID])},
        "/jobs/{job_id}/diary": {"get": _op("The work diary: sessions by day (in `tz`, default UTC), snapshots, totals", {
            **_ok("200", "OK")}, params=[JOB_ID, {"name": "tz", "in": "query", "schema": {
                "type": "string", "pattern": "^([A-Za-z][A-Za-z0-9_+\\-/]{0,63})?$",
                "description": "IANA time zone, e.g. Europe/Berlin; empty or absent: UTC (422 when there is no such zone)"}}])},
        "/jobs/{job_id}/diary/settings": {"put": _op("Snapshot interval in seconds (0 = off; freelancer)", {
            **_ok("200", "OK"), **_errors(403, 429)}, params=[JOB_ID],
            body=_in(["snapshot_seconds"], snapshot_seconds={"anyOf": [{"type": "integer", "const": 0},
                                                                       {"type": "integer", "minimum": 5, "maximum": 3600}]}))},
        "/jobs/{job_id}/sessions/{session_id}/snapshots": {"post": {
            **_op("Upload a snapshot of the shared screen (publisher's page)", {
                **_ok("201", "Stored"), **_errors(400, 403, 409, 413, 422, 429)}, params=[JOB_ID, _path("session_id", ID)]),
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _obj(
                ["file"], file={"type": "string", "format": "binary"})}}}}},
        "/snapshots/{snapshot_id}": {"delete": _op("Delete a snapshot within the grace period (freelancer)", {
            **_ok("200", "Deleted"), **_errors(403, 409, 429)}, params=[_path("snapshot_id", ID)])},
    }
