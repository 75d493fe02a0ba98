"""OpenAPI paths of web/api_notifications.py (merged into the document by web/openapi.py)."""
from __future__ import annotations

from typing import Any


def notification_paths() -> dict[str, Any]:
    return {}
