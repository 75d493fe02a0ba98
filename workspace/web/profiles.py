"""Public pages: a person's profile with the reviews clients left after completed, paid jobs."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from workspace.services.feedback import public_profile

bp = Blueprint("profiles", __name__, url_prefix="/people")


@bp.get("/<int:user_id>")
def show(user_id: int) -> Any:
    return render_template("profiles/show.html", profile=public_profile(user_id))
