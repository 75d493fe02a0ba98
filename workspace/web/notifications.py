"""Pages: the notification list, email preferences (also by signed link) and one-click unsubscribe."""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import (
    Blueprint, current_app, flash, has_request_context, redirect, render_template, request, url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from workspace import signing
from workspace.domain import notify_rules
from workspace.domain.errors import DomainError, Invalid
from workspace.domain.ids import is_id
from workspace.services import notifications
from workspace.web.api_notifications import page_args
from workspace.web.auth import safe_next
from workspace.web.http import actor
from workspace.web.security import cookie_free

bp = Blueprint("notifications", __name__)
log = logging.getLogger(__name__)

PAGE_SIZE = 20


@bp.app_context_processor
def bell() -> dict[str, Callable[[], int | None]]:
    """`notification_unread()` for base.html: the bell's count, asked only when the header is drawn."""
    return {"notification_unread": _unread_for_header}


def _unread_for_header() -> int | None:
    if not has_request_context() or not current_user.is_authenticated:
        return None
    try:
        return notifications.count_unread(actor())
    except (SQLAlchemyError, DomainError):  # an error page drawn while the database is unwell still renders
        log.debug("unread count unavailable", exc_info=True)
        return None


# ---------------------------------------------------------------- the list

@bp.get("/notifications")
@login_required
def index() -> Any:
    unread, before, _limit = page_args()
    page = notifications.list_notifications(actor(), unread, before, PAGE_SIZE)
    items = page["notifications"]
    older = url_for(".index", before=items[-1]["id"], unread=unread or None) if page["more"] and items else None
    return render_template("notifications/index.html", page=page, items=items, older=older, kinds=notify_rules.KINDS,
                           only_unread=unread not in ("", "0", "false", "no"), first_page=not before)


@bp.post("/notifications/read")
@login_required
def mark_read() -> Any:
    back = safe_next(request.form.get("next"), url_for(".index"))
    if request.form.get("all"):
        result = notifications.mark_read(actor(), all_=True)
        flash("Everything is marked read." if result["marked"] else "Nothing was unread.", "success")
        return redirect(back)
    raw = request.form.get("id", "")
    if not raw.isdigit() or len(raw) > 10 or not is_id(int(raw)):
        raise Invalid("Choose a notification to mark read.", fields={"id": "A notification id."})
    notifications.mark_read(actor(), ids=[int(raw)])
    return redirect(back)


# ---------------------------------------------------------------- email settings

def _form_changes(kinds: list[dict[str, Any]]) -> dict[str, Any]:
    """{"settings": {kind: mode}} from the radios the form sent (the service checks every value)."""
    return {"settings": {k["kind"]: request.form[k["kind"]] for k in kinds if k["kind"] in request.form}}


def _settings_page(view: dict[str, Any], save: Any, *, signed: bool) -> Any:
    """Show the settings form, or save it (POST) through `save`; one page for both ways in."""
    saved = False
    if request.method == "POST":
        try:
            view = {**view, **save(_form_changes(view["kinds"]))}
        except Invalid as exc:
            return render_template("notifications/settings.html", view=view, errors=exc.fields,
                                   message=exc.message, signed=signed), 422
        if not signed:
            flash("Email settings saved.", "success")
            return redirect(url_for(".settings"))
        saved = True
    return render_template("notifications/settings.html", view=view, errors={}, message=None, signed=signed,
                           saved=saved)


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    user = actor()
    return _settings_page(notifications.get_settings(user),
                          lambda changes: notifications.update_settings(user, changes), signed=False)


def _signed_user(token: str) -> int | None:
    user_id = signing.unsign(current_app.config["SECRET_KEY"], "prefs", token)
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


def _bad_link() -> Any:
    return render_template("notifications/bad_link.html"), 404


@bp.route("/notifications/preferences/<token>", methods=["GET", "POST"])
def preferences(token: str) -> Any:
    """The settings form reached from an email: the signed link says who, no login needed."""
    user_id = _signed_user(token)
    if user_id is None:
        return _bad_link()
    return _settings_page(notifications.get_settings_for(user_id),
                          lambda changes: notifications.update_settings_for(user_id, changes), signed=True)


# ---------------------------------------------------------------- one-click unsubscribe (RFC 8058)

def _unsubscribe_target(token: str) -> tuple[int, str | None] | None:
    payload = signing.unsign(current_app.config["SECRET_KEY"], "unsubscribe", token)
    if not isinstance(payload, list) or len(payload) != 2:
        return None
    user_id, kind = payload
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not (kind is None or isinstance(kind, str)):
        return None
    return user_id, kind


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@cookie_free  # mail providers POST `List-Unsubscribe=One-Click` with no cookie and no CSRF token
def unsubscribe(token: str) -> Any:
    target = _unsubscribe_target(token)
    if target is None:
        return _bad_link()
    user_id, kind = target
    view = notifications.get_settings_for(user_id)
    label = next((k["label"] for k in view["kinds"] if k["kind"] == kind), None)
    protected = [k["label"] for k in view["kinds"] if k["protected"] and (label is None or k["kind"] == kind)]
    prefs_url = url_for(".preferences", token=signing.sign(current_app.config["SECRET_KEY"], "prefs", user_id))
    context = {"user": view["user"], "label": label, "protected": protected, "prefs_url": prefs_url}
    if request.method == "GET":
        return render_template("notifications/unsubscribe.html", done=False, **context)
    if request.form.get("List-Unsubscribe") != "One-Click":
        return render_template("notifications/unsubscribe.html", done=False, refused=True, **context), 400
    notifications.unsubscribe(user_id, kind)
    return render_template("notifications/unsubscribe.html", done=True, **context)
