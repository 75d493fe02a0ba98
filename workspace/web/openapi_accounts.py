"""OpenAPI paths of web/api_accounts.py (merged into the document by web/openapi.py)."""
from __future__ import annotations

from typing import Any


def account_paths() -> dict[str, Any]:
    return {}
