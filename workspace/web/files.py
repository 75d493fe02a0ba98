"""Serving attachments to members only, as downloads that a browser will never run."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, send_from_directory
from flask_login import login_required

from workspace.services.attachments import file_for_member
from workspace.storage import IMAGE_TYPES
from workspace.web.http import actor

bp = Blueprint("files", __name__, url_prefix="/files")


def _send(attachment_id: str, thumb: bool) -> Any:
    name, content_type, download = file_for_member(actor(), attachment_id, thumb=thumb)
    inline = content_type in IMAGE_TYPES
    response = send_from_directory(Path(current_app.config["UPLOAD_DIR"]), name, mimetype=content_type,
                                   as_attachment=not inline, download_name=download, max_age=3600)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/<attachment_id>")
@login_required
def download(attachment_id: str) -> Any:
    return _send(attachment_id, thumb=False)


@bp.get("/<attachment_id>/thumb")
@login_required
def thumbnail(attachment_id: str) -> Any:
    return _send(attachment_id, thumb=True)
