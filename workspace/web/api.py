"""JSON API under /api/v1: the same services as the pages, errors in one envelope."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any, Callable

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user

from workspace.action_limits import take_slot
from workspace.domain.errors import Unauthorized

from workspace.services import (
    accounts, agreements, attachments, change_orders, deliveries, diary, events, feedback, invites, jobs, ledger, live,
    mediators, members, messages, payments, progress, receipts,
)
from workspace.services.views import user_view
from workspace.web.http import actor, client_address, json_body
from workspace.web.openapi import openapi_document
from workspace.web.security import cookie_free
from workspace.web.zone import zone_from_query

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def authenticated(view: Callable[..., Any]) -> Callable[..., Any]:
    """401 before anything else for anonymous callers."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise Unauthorized("Sign in or send an API token (Authorization: Bearer ...).")
        return view(*args, **kwargs)
    return wrapper


@bp.post("/signup")
@cookie_free  # sets no cookie; returns a token to a script
def signup() -> Any:
    """A new address gets its account and token (201); a taken one 202 with the same message and no
    change (its owner is emailed). services/accounts.py sign_up says why this cannot hide more."""
    body = json_body()
    user = accounts.sign_up(body.get("email"), body.get("password"), body.get("name"),
                            address=client_address(), limit=current_app.config["SIGNUP_LIMIT_PER_ADDRESS"])
    message = accounts.signup_message(accounts.normalize_email(body.get("email")))
    if user is None:
        return jsonify({"message": message}), 202
    _view, token = accounts.create_api_token(user, "Sign-up token")
    return jsonify({"user": user_view(user), "token": token, "message": message}), 201


@bp.post("/tokens")
@cookie_free  # exchanges credentials for a token; no cookie involved
def create_token() -> Any:
    body = json_body()
    config = current_app.config
    user = accounts.authenticate(body.get("email"), body.get("password"), address=client_address(),
                                 per_account=config["LOGIN_LIMIT_PER_ACCOUNT"],
                                 per_address=config["LOGIN_LIMIT_PER_ADDRESS"])
    view, token = accounts.create_api_token(user, body.get("name"))
    return jsonify({"token": token, "token_info": view}), 201


@bp.get("/tokens")
@authenticated
def list_tokens() -> Any:
    return jsonify({"tokens": accounts.list_api_tokens(actor())})


@bp.delete("/tokens/<int:token_id>")
@authenticated
def revoke_token(token_id: int) -> Any:
    accounts.revoke_api_token(actor(), token_id)
    return "", 204


@bp.get("/me")
@authenticated
def me() -> Any:
    return jsonify({"user": user_view(actor())})


@bp.post("/jobs")
@authenticated
def create_job() -> Any:
    body = json_body()
    return jsonify({"job": jobs.create_job(actor(), body.get("title"), body.get("description"))}), 201


@bp.get("/jobs")
@authenticated
def list_jobs() -> Any:
    return jsonify({"jobs": jobs.list_jobs(actor())})


@bp.get("/jobs/<job_id>")
@authenticated
def get_job(job_id: str) -> Any:
    return jsonify({"job": jobs.get_job(actor(), job_id)})


@bp.post("/jobs/<job_id>/invites")
@authenticated
def create_invite(job_id: str) -> Any:
    body = json_body()
    invite = invites.create_invite(actor(), job_id, body.get("role"),
                                   ttl=timedelta(days=current_app.config["INVITE_TTL_DAYS"]))
    invite["url"] = url_for("invites.show", token=invite["token"], _external=True)
    return jsonify({"invite": invite}), 201


@bp.get("/jobs/<job_id>/invites")
@authenticated
def list_invites(job_id: str) -> Any:
    return jsonify({"invites": invites.list_invites(actor(), job_id)})


@bp.post("/jobs/<job_id>/invites/<int:invite_id>/revoke")
@authenticated
def revoke_invite(job_id: str, invite_id: int) -> Any:
    return jsonify({"invite": invites.revoke_invite(actor(), job_id, invite_id)})


@bp.get("/invites/<token>")
def preview_invite(token: str) -> Any:
    return jsonify({"invite": invites.preview_invite(token)})


@bp.post("/invites/<token>/accept")
@authenticated
def accept_invite(token: str) -> Any:
    return jsonify({"job": invites.accept_invite(actor(), token)})


@bp.post("/jobs/<job_id>/agreements")
@authenticated
def propose_agreement(job_id: str) -> Any:
    body = json_body()
    return jsonify({"agreement": agreements.propose_agreement(actor(), job_id, body)}), 201


@bp.get("/jobs/<job_id>/agreements")
@authenticated
def list_agreements(job_id: str) -> Any:
    return jsonify({"agreements": agreements.list_agreements(actor(), job_id)})


@bp.get("/jobs/<job_id>/agreements/<int:version>")
@authenticated
def get_agreement(job_id: str, version: int) -> Any:
    return jsonify({"agreement": agreements.get_agreement(actor(), job_id, version)})


@bp.post("/jobs/<job_id>/agreements/<int:version>/accept")
@authenticated
def accept_agreement(job_id: str, version: int) -> Any:
    body = json_body()
    agreement = agreements.accept_agreement(actor(), job_id, version, body.get("terms_hash"))
    return jsonify({"agreement": agreement})


@bp.get("/jobs/<job_id>/events")
@authenticated
def list_events(job_id: str) -> Any:
    page = events.list_events(actor(), job_id, request.args.get("after"), request.args.get("limit"),
                              page_max=current_app.config["EVENT_PAGE_MAX"], before=request.args.get("before"))
    return jsonify(page)


@bp.post("/jobs/<job_id>/messages")
@authenticated
def post_message(job_id: str) -> Any:
    body = json_body()
    take_slot("message", actor().id, current_app.config)
    event = messages.post_message(actor(), job_id, body.get("body", ""), reply_to=body.get("reply_to"),
                                  client_ref=body.get("client_ref"), attachments=body.get("attachments"))
    return jsonify({"event": event}), 201


@bp.patch("/jobs/<job_id>/messages/<int:message_id>")
@authenticated
def edit_message(job_id: str, message_id: int) -> Any:
    body = json_body()
    take_slot("edit_message", actor().id, current_app.config)
    return jsonify({"event": messages.edit_message(actor(), job_id, message_id, body.get("body"))})


@bp.delete("/jobs/<job_id>/messages/<int:message_id>")
@authenticated
def delete_message(job_id: str, message_id: int) -> Any:
    take_slot("delete_message", actor().id, current_app.config)
    return jsonify({"event": messages.delete_message(actor(), job_id, message_id)})


@bp.post("/jobs/<job_id>/progress")
@authenticated
def post_progress(job_id: str) -> Any:
    body = json_body()
    take_slot("progress", actor().id, current_app.config)
    event = progress.post_progress(actor(), job_id, body.get("percent"), body.get("note", ""),
                                   body.get("milestone_id"))
    return jsonify({"event": event}), 201


@bp.post("/jobs/<job_id>/read")
@authenticated
def mark_read(job_id: str) -> Any:
    body = json_body()
    return jsonify({"last_read_seq": members.mark_read(actor(), job_id, body.get("seq"))})


@bp.delete("/jobs/<job_id>/members/<int:user_id>")
@authenticated
def remove_member(job_id: str, user_id: int) -> Any:
    return jsonify({"event": members.remove_member(actor(), job_id, user_id)})


@bp.post("/jobs/<job_id>/members/<int:user_id>/admit")
@authenticated
def admit_member(job_id: str, user_id: int) -> Any:
    """A client admits a joining client (services/members.py admit_client); repeating it is harmless."""
    json_body()  # no fields, but a malformed body is still refused
    return jsonify({"member": members.admit_client(actor(), job_id, user_id)})


@bp.post("/jobs/<job_id>/mediators/<int:user_id>/agree")
@authenticated
def agree_to_mediator(job_id: str, user_id: int) -> Any:
    """The freelancer or a client agrees to a mediator (services/mediators.py); repeating it is harmless."""
    json_body()  # no fields, but a malformed body is still refused
    return jsonify({"mediator": mediators.agree_to_mediator(actor(), job_id, user_id)})


@bp.post("/jobs/<job_id>/attachments")
@authenticated
def upload_attachment(job_id: str) -> Any:
    def open_file() -> Any:
        upload = request.files.get("file")
        return (upload.stream, upload.filename) if upload else (None, None)

    config = current_app.config
    view = attachments.upload_attachment(actor(), job_id, open_file, directory=Path(config["UPLOAD_DIR"]),
                                         max_bytes=config["ATTACHMENT_MAX_BYTES"])
    return jsonify({"attachment": view}), 201


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


def idempotency_key() -> str | None:
    return request.headers.get("Idempotency-Key")


@bp.post("/milestones/<int:milestone_id>/submit")
@authenticated
def submit_milestone(milestone_id: int) -> Any:
    body = json_body()
    return jsonify(deliveries.submit_milestone(actor(), milestone_id, body.get("note", ""), body.get("attachments")))


@bp.post("/milestones/<int:milestone_id>/approve")
@authenticated
def approve_milestone(milestone_id: int) -> Any:
    json_body()  # no fields, but a malformed body is still a 400
    return jsonify(deliveries.approve_milestone(actor(), milestone_id, idempotency_key=idempotency_key()))


@bp.post("/milestones/<int:milestone_id>/request-changes")
@authenticated
def request_changes(milestone_id: int) -> Any:
    body = json_body()
    return jsonify(deliveries.request_changes(actor(), milestone_id, body.get("reason"), body.get("criteria"),
                                              body.get("out_of_scope", False)))


@bp.post("/milestones/<int:milestone_id>/cancel")
@authenticated
def cancel_milestone(milestone_id: int) -> Any:
    json_body()
    return jsonify(deliveries.cancel_milestone(actor(), milestone_id))


@bp.post("/milestones/<int:milestone_id>/change-order")
@authenticated
def change_order(milestone_id: int) -> Any:
    body = json_body()
    agreement = change_orders.propose_change_order(actor(), milestone_id, body.get("amount"), body.get("title"))
    return jsonify({"agreement": agreement}), 201


@bp.post("/jobs/<job_id>/payments")
@authenticated
def record_payment(job_id: str) -> Any:
    body = json_body()
    result = payments.record_payment(actor(), job_id, body.get("amount"), body.get("method"), body.get("reference", ""),
                                     body.get("note", ""), idempotency_key=idempotency_key())
    return jsonify(result), 201


@bp.get("/jobs/<job_id>/payments")
@authenticated
def list_payments(job_id: str) -> Any:
    return jsonify({"payments": payments.list_payments(actor(), job_id)})


@bp.post("/payments/<int:payment_id>/confirm")
@authenticated
def confirm_payment(payment_id: int) -> Any:
    json_body()
    return jsonify(payments.confirm_payment(actor(), payment_id, idempotency_key=idempotency_key()))


@bp.post("/payments/<int:payment_id>/dispute")
@authenticated
def dispute_payment(payment_id: int) -> Any:
    body = json_body()
    return jsonify(payments.dispute_payment(actor(), payment_id, body.get("reason")))


@bp.get("/jobs/<job_id>/ledger")
@authenticated
def get_ledger(job_id: str) -> Any:
    return jsonify(ledger.get_ledger(actor(), job_id))


def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/payments/<int:payment_id>/receipt.pdf")
@authenticated
def receipt(payment_id: int) -> Any:
    return _pdf(*receipts.receipt_pdf(actor(), payment_id))


@bp.get("/jobs/<job_id>/statement.pdf")
@authenticated
def statement(job_id: str) -> Any:
    return _pdf(*receipts.statement_pdf(actor(), job_id))


@bp.post("/jobs/<job_id>/reviews")
@authenticated
def leave_review(job_id: str) -> Any:
    body = json_body()
    review = feedback.leave_review(actor(), job_id, body.get("rating"), body.get("text", ""),
                                   body.get("consent_to_name", False))
    return jsonify({"review": review}), 201


@bp.get("/profiles/<profile_id>")
def profile(profile_id: str) -> Any:
    return jsonify(feedback.public_profile(profile_id))


@bp.get("/jobs/<job_id>/live")
@authenticated
def live_session(job_id: str) -> Any:
    return jsonify({"session": live.current(actor(), job_id)})


@bp.get("/jobs/<job_id>/diary")
@authenticated
def get_diary(job_id: str) -> Any:
    return jsonify(diary.diary(actor(), job_id, grace_minutes=current_app.config["SNAPSHOT_DELETE_GRACE_MINUTES"],
                               zone=zone_from_query(request.args.get("tz"))))


@bp.put("/jobs/<job_id>/diary/settings")
@authenticated
def diary_settings(job_id: str) -> Any:
    body = json_body()
    return jsonify(live.set_snapshot_interval(actor(), job_id, body.get("snapshot_seconds")))


@bp.post("/jobs/<job_id>/sessions/<int:session_id>/snapshots")
@authenticated
def add_snapshot(job_id: str, session_id: int) -> Any:
    def open_file() -> Any:
        upload = request.files.get("file")
        return (upload.stream, upload.filename) if upload else (None, None)

    config = current_app.config
    snapshot = diary.add_snapshot(actor(), job_id, session_id, open_file, directory=Path(config["UPLOAD_DIR"]),
                                  max_bytes=config["SNAPSHOT_MAX_BYTES"])
    return jsonify({"snapshot": snapshot}), 201


@bp.delete("/snapshots/<int:snapshot_id>")
@authenticated
def delete_snapshot(snapshot_id: int) -> Any:
    config = current_app.config
    return jsonify({"snapshot": diary.delete_snapshot(actor(), snapshot_id, directory=Path(config["UPLOAD_DIR"]),
                                                      grace_minutes=config["SNAPSHOT_DELETE_GRACE_MINUTES"])})
