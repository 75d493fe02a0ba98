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


def invoices(api: ApiActions, who: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/jobs/{job_id}/invoices", who)["invoices"]


def settle_below_approved(api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> list[dict[str, Any]]:
    """Milestone 1 (300.00) approved, then disputed by the client and settled at 240.00: the job's
    invoices, the last one a credit note of -60.00."""
    f, c = people["freelancer"], people["client"]
    state = activate(api, people, job, terms(upfront={"kind": "none"}))
    m1 = state["milestones"][0]["id"]
    submit(api, f, m1)
    approve(api, c, m1)
    dispute = api.call("POST", f"/milestones/{m1}/disputes", c, {"reason": "Not vector"}, headers=key()).get_json()
    proposal = api.call("POST", f"/disputes/{dispute['dispute']['id']}/proposals", c,
                        {"kind": "amount", "amount": 24_000}, headers=key()).get_json()
    pid = proposal["dispute"]["proposals"][0]["id"]
    assert api.call("POST", f"/dispute-proposals/{pid}/accept", f, {}, headers=key()).status_code == 200
    return invoices(api, c, job["id"])
