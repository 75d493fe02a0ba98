"""Test helpers: API actions by role, valid terms, and the CI rule that nothing may be skipped."""
from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(available: bool, what: str) -> None:
    """Skip when a service is missing on a dev machine; under CI=true a missing service fails."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


def terms(**changes: Any) -> dict[str, Any]:
    """Valid terms (EUR, two milestones, a portion up front) with optional changes."""
    today = date.today()
    body = {
        "scope": "Design a logo.\n\n- Two concepts\n- One refinement",
        "deadline": (today + timedelta(days=30)).isoformat(),
        "currency": "EUR",
        "upfront": {"kind": "portion", "amount": 10000},
        "milestones": [
            {"title": "Concepts", "amount": 30000, "due": (today + timedelta(days=10)).isoformat(),
             "criteria": ["Two directions", "Black and white"], "revisions": 2},
            {"title": "Final", "amount": 20000, "due": (today + timedelta(days=30)).isoformat(),
             "criteria": [], "revisions": 1},
        ],
        "update_every_hours": 24,
        "auto_approve_days": 7,
    }
    body.update(changes)
    return body


class ApiActions:
    """Drive the JSON API as a given person (Bearer tokens), like a script would."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._n = 0

    def call(self, method: str, path: str, who: dict[str, Any] | None = None, json: Any = None,
             **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {who['token']}"
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kwargs)

    def ok(self, method: str, path: str, who: dict[str, Any] | None = None, json: Any = None,
           status: int = 200) -> Any:
        response = self.call(method, path, who, json)
        assert response.status_code == status, (response.status_code, response.get_json())
        return response.get_json()

    def signup(self, label: str) -> dict[str, Any]:
        self._n += 1
        body = self.ok("POST", "/signup", json={
            "email": f"{label}{self._n}@example.test", "password": "correct horse battery", "name": label.title(),
        }, status=201)
        return {**body["user"], "token": body["token"], "label": label}

    def create_job(self, who: dict[str, Any], title: str = "Logo for Acme") -> dict[str, Any]:
        return self.ok("POST", "/jobs", who, {"title": title, "description": "A logo"}, status=201)["job"]

    def invite(self, who: dict[str, Any], job_id: str, role: str) -> dict[str, Any]:
        return self.ok("POST", f"/jobs/{job_id}/invites", who, {"role": role}, status=201)["invite"]

    def join(self, who: dict[str, Any], token: str) -> dict[str, Any]:
        return self.ok("POST", f"/invites/{token}/accept", who)["job"]

    def job_with_members(self, people: dict[str, Any]) -> dict[str, Any]:
        job = self.create_job(people["freelancer"])
        for role in ("client", "viewer"):
            self.join(people[role], self.invite(people["freelancer"], job["id"], role)["token"])
        return self.ok("GET", f"/jobs/{job['id']}", people["freelancer"])["job"]

    def propose(self, who: dict[str, Any], job_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.ok("POST", f"/jobs/{job_id}/agreements", who, body or terms(), status=201)["agreement"]

    def accept(self, who: dict[str, Any], job_id: str, version: int, terms_hash: str | None = None) -> Any:
        return self.ok("POST", f"/jobs/{job_id}/agreements/{version}/accept", who,
                       {"terms_hash": terms_hash} if terms_hash else {})["agreement"]

    def events(self, who: dict[str, Any], job_id: str, after: int = 0, limit: int = 500) -> dict[str, Any]:
        return self.ok("GET", f"/jobs/{job_id}/events?after={after}&limit={limit}", who)


def log_in(client: Any, who: dict[str, Any]) -> None:
    """Sign a Flask test client in with the login form (CSRF token from the page), as a browser does."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"csrf_token": token, "email": who["email"],
                                           "password": "correct horse battery"})
    assert response.status_code == 302, response.status_code
