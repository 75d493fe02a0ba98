"""JSON API for notifications: the list, marking read, and per-kind email settings."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1")
