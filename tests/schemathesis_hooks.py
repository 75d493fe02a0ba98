"""Schemathesis hooks for tests/test_api_schema.py (loaded by the CLI through SCHEMATHESIS_HOOKS).

- Auth: a Bearer token made by logging in as the seeded freelancer. Generated requests may revoke it
  (DELETE /tokens/{id} reaches ids that exist), so a 401 logs in again and the request is retried.
- Dates: whether a deadline or due date is acceptable depends on today (not in the past, a due date
  not after the deadline), which a schema cannot state; generated dates are moved into the next year
  so that schema-valid terms stay valid.
- Submissions: a milestone is submitted with a note or a file (422 otherwise), which the schema does
  not state either (both are optional, and a note of spaces is no note); such a body gets a note.
Everything else is generated as the document says.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import requests
import schemathesis

BASE = os.environ["ST_BASE_URL"]


@schemathesis.auth(refresh_interval=600, retry_on=[401])
class FreelancerToken:
    def get(self, case: Any, ctx: Any) -> str:
        r = requests.post(f"{BASE}/api/v1/tokens", timeout=10,
                          json={"email": os.environ["ST_EMAIL"], "password": os.environ["ST_PASSWORD"], "name": "st"})
        r.raise_for_status()
        return r.json()["token"]

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _future(value: Any, day: date) -> Any:
    """A valid date (format: date) becomes `day`; anything else stays as generated (negative cases)."""
    try:
        date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return value
    return day.isoformat() if isinstance(value, str) and len(value) == 10 else value


@schemathesis.hook("map_body")
def dates_in_the_future(ctx: Any, body: Any) -> Any:
    """Terms: the deadline a year ahead and every milestone due on or before it."""
    if not isinstance(body, dict) or "deadline" not in body:
        return body
    deadline = date.today() + timedelta(days=365)
    body = {**body, "deadline": _future(body["deadline"], deadline)}
    if isinstance(body.get("milestones"), list):
        body["milestones"] = [{**m, "due": _future(m.get("due"), deadline - timedelta(days=30))}
                              if isinstance(m, dict) and "due" in m else m for m in body["milestones"]]
    return body


@schemathesis.hook("map_body")
def submissions_say_something(ctx: Any, body: Any) -> Any:
    """A submission with neither a note nor a file (but no wrong types: negative cases stay) gets a note."""
    operation = getattr(ctx, "operation", None)
    if operation is None or not str(operation.path).endswith("/submit") or not isinstance(body, dict):
        return body
    note, files = body.get("note"), body.get("attachments")
    if (note is None or isinstance(note, str)) and (files is None or isinstance(files, list)) \
            and not (isinstance(note, str) and note.strip()) and not files:
        return {**body, "note": "Done"}
    return body
