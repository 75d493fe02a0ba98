"""Helpers for money tests: an active job and the money actions with idempotency keys."""
from __future__ import annotations

import uuid
from typing import Any

from tests.support import ApiActions, terms


def activate(api: ApiActions, people: dict[str, Any], job: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    proposed = api.propose(people["freelancer"], job["id"], body or terms())
    api.accept(people["client"], job["id"], proposed["version"], proposed["terms_hash"])
    return api.ok("GET", f"/jobs/{job['id']}", people["freelancer"])["job"]


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def submit(api: ApiActions, who: dict[str, Any], milestone_id: int, note: str = "Done") -> Any:
    return api.call("POST", f"/milestones/{milestone_id}/submit", who, {"note": note})


def approve(api: ApiActions, who: dict[str, Any], milestone_id: int, headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/milestones/{milestone_id}/approve", who, {}, headers=headers if headers is not None else key())


def pay(api: ApiActions, who: dict[str, Any], job_id: str, amount: int, headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/jobs/{job_id}/payments", who,
                    {"amount": amount, "method": "bank_transfer", "reference": "INV-1"},
                    headers=headers if headers is not None else key())


def confirm(api: ApiActions, who: dict[str, Any], payment_id: int, headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/payments/{payment_id}/confirm", who, {}, headers=headers if headers is not None else key())


def balances(api: ApiActions, who: dict[str, Any], job_id: str) -> dict[str, int]:
    return api.ok("GET", f"/jobs/{job_id}/ledger", who)["balances"]
