"""Money decisions of different rows of one job, at the same moment (both databases): each reads the
job's balances (what is owed, the deposits left) and posts. Without the job's lock taken first
(services/access.lock_job), both read the same balance on PostgreSQL: two confirmations took the debt
below zero, two approvals spent one deposit twice."""
from __future__ import annotations

import threading
from typing import Any, Callable

from tests.money_support import activate, approve, balances, confirm, pay, submit
from tests.support import ApiActions


def at_once(app: Any, calls: list[Callable[[ApiActions], Any]]) -> list[int]:
    """Run each call on its own client and thread, released together; their status codes."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = []

    def run(call: Callable[[ApiActions], Any]) -> None:
        client = ApiActions(app.test_client())
        barrier.wait()
        statuses.append(call(client).status_code)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return sorted(statuses)


def test_two_payments_confirmed_at_once_never_take_more_than_is_owed(app, api, people, job):
    """The upfront 100.00 was sent, marked not received, and sent again; then both arrive and are
    confirmed at once: one counts, the other is refused as more than is owed."""
    state = activate(api, people, job)
    f, c = people["freelancer"], people["client"]
    first = pay(api, c, state["id"], 10_000).get_json()["payment"]
    api.ok("POST", f"/payments/{first['id']}/dispute", f, {"reason": "Nothing yet"})
    second = pay(api, c, state["id"], 10_000).get_json()["payment"]
    statuses = at_once(app, [lambda a, p=p: confirm(a, f, p["id"]) for p in (first, second)])
    assert statuses == [200, 409]
    b = balances(api, f, state["id"])
    assert (b["paid"], b["owed"], b["credit"]) == (10_000, 0, 10_000)
    ledger = api.ok("GET", f"/jobs/{state['id']}/ledger", f)
    client_total = sum(e["amount"] for t in ledger["transactions"] for e in t["entries"] if e["account"] == "client")
    assert client_total == 0


def test_two_milestones_approved_at_once_use_the_deposit_once(app, api, people, job):
    """100.00 paid up front; both milestones (300.00 and 200.00) approved at the same moment: the
    deposit is used once, as when they are approved one after the other."""
    state = activate(api, people, job)
    f, c = people["freelancer"], people["client"]
    confirm(api, f, pay(api, c, state["id"], 10_000).get_json()["payment"]["id"])
    ids = [m["id"] for m in state["milestones"]]
    for m in ids:
        assert submit(api, f, m).status_code == 200
    assert at_once(app, [lambda a, m=m: approve(a, c, m) for m in ids]) == [200, 200]
    b = balances(api, f, state["id"])
    assert (b["deposits_left"], b["approved"], b["owed"]) == (0, 50_000, 40_000)
    invoices = api.ok("GET", f"/jobs/{state['id']}", f)["job"]["invoices"]
    advances = sum(line["amount"] for i in invoices for line in i["lines"] if line["amount"] < 0)
    assert advances == -10_000, invoices  # the advance is deducted on one invoice only
