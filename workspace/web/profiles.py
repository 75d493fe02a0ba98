"""Public pages: a freelancer's profile (at an unguessable id) with the reviews clients left after completed, paid jobs."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from workspace.services.feedback import public_profile

bp = Blueprint("profiles", __name__, url_prefix="/people")


@bp.get("/<profile_id>")
def show(profile_id: str) -> Any:
    return render_template("profiles/show.html", profile=public_profile(profile_id))
