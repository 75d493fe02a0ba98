"""JSON API for notifications: the list, marking read, and per-kind email settings."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from workspace.domain.errors import Invalid
from workspace.domain.ids import ID_MAX, is_id
from workspace.services import notifications
from workspace.web.api import authenticated
from workspace.web.http import actor, json_body

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1")

UNREAD_VALUES = ("", "0", "1", "true", "false")  # as the OpenAPI document lists them


def page_args() -> tuple[Any, Any, Any]:
    """unread / before / limit from the query string, bounded before they reach the database."""
    args = request.args
    unread = args.get("unread", "")
    if unread not in UNREAD_VALUES:
        raise Invalid("unread is 1 or 0.", fields={"unread": "1 (only unread) or 0 (all)."})
    before = args.get("before", "")
    if len(before) > 12 or (before.strip().isdigit() and int(before) > ID_MAX):
        raise Invalid("Bad page request.", fields={"before": "A notification id of 1 or more."})
    return unread, before, args.get("limit", "")


def read_request(body: dict[str, Any]) -> tuple[Any, Any]:
    """{"ids": [...]} or {"all": true}; ids out of the id range are refused here (the service checks the rest)."""
    ids, all_ = body.get("ids"), body.get("all")
    if isinstance(ids, list) and any(isinstance(i, int) and not isinstance(i, bool) and not is_id(i) for i in ids):
        raise Invalid("ids are notification ids (whole numbers of 1 or more).",
                      fields={"ids": "A list of notification ids."})
    return ids, all_


@bp.get("/notifications")
@authenticated
def list_notifications() -> Any:
    unread, before, limit = page_args()
    return jsonify(notifications.list_notifications(actor(), unread, before, limit))


@bp.post("/notifications/read")
@authenticated
def mark_read() -> Any:
    ids, all_ = read_request(json_body())
    return jsonify(notifications.mark_read(actor(), ids, all_))


@bp.get("/me/notification-settings")
@authenticated
def get_settings() -> Any:
    return jsonify(notifications.get_settings(actor()))


@bp.put("/me/notification-settings")
@authenticated
def update_settings() -> Any:
    return jsonify(notifications.update_settings(actor(), json_body()))
