"""JSON API for accounts people can recover: email verification, password reset, account changes."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_accounts", __name__, url_prefix="/api/v1")
