"""Pages: the notification list, email preferences (also by signed link) and one-click unsubscribe."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__)
