"""A corpus of bad input sent to every JSON endpoint and every socket action, on SQLite and PostgreSQL:
sizes, types, integers past 64 bits, lone surrogates, NUL characters, deep nesting. Every answer is a
4xx (or `{ok: false}` that is not `internal`), a refused request writes nothing, and the app logs no
traceback."""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from sqlalchemy import func, select

from tests.test_fuzz import FIELDS as FUZZ_FIELDS

DEEP: Any = []
for _ in range(100):
    DEEP = [DEEP]
CORPUS: list[Any] = [
    2**64, -(2**63) - 1, 10**30, 1e308, -0.0, "a\ud800b", "nul\x00byte", "x" * 70_000, DEEP, [], {}, ["list"],
    {"nested": {"a": 1}}, True, None, "", " ", "‮rtl", "<script>alert(1)</script>", -1, 0,
]
FIELDS = [*FUZZ_FIELDS, "ids", "all", "settings", "current_password", "reference", "consent_to_name", "text"]


def _fingerprint(app: Any) -> dict[str, int]:
    """Row counts of every table: a refused request must leave them all as they were."""
    from workspace.db import Base
    from workspace.extensions import db

    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) or 0
                  for t in Base.metadata.sorted_tables
                  if t.name not in ("idempotency_records", "scheduler_leases")}
        db.session.remove()
        return counts


def _write_routes() -> list[tuple[str, str]]:
    from workspace.web.openapi import openapi_document

    return [(m.upper(), path) for path, ops in openapi_document()["paths"].items() for m in ops
            if m in ("post", "put", "patch", "delete") and "multipart/form-data" not in str(ops[m])]


def _bodies() -> list[Any]:
    bodies: list[Any] = [2**64, "a\ud800b", DEEP, ["list"], None]  # the whole body is wrong
    for value in CORPUS:
        bodies.append({field: value for field in FIELDS})  # every field at once
    return bodies


def test_every_json_endpoint_refuses_the_corpus_cleanly(app, api, people, world, caplog):
    caplog.set_level(logging.ERROR, logger="workspace")
    app.config["SOCKET_RATE_LIMITS"] = {"message": (10**6, 10), "edit_message": (10**6, 10),
                                        "delete_message": (10**6, 10), "progress": (10**6, 10)}
    routes = _write_routes()
    assert len(routes) > 25
    failures = []
    for method, template in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), template)
        foreign = "{" in template  # someone else's job, milestone, payment...: the outsider may change nothing
        for who in ("outsider", "client"):
            before = _fingerprint(app) if who == "outsider" and foreign else None
            for body in _bodies():
                raw = json.dumps(body)  # lone surrogates travel as \\ud800 escapes, as a client would send them
                response = api.call(method, path, people[who], data=raw,
                                    headers={"Content-Type": "application/json", "Idempotency-Key": "corpus"})
                if response.status_code >= 500:
                    failures.append((method, path, who, raw[:80], response.status_code))
                elif response.status_code >= 400:
                    assert response.get_json()["error"]["message"], (method, path)
                elif who == "outsider" and foreign:
                    failures.append((method, path, who, raw[:80], "an outsider's request was accepted"))
            if before is not None and _fingerprint(app) != before:
                failures.append((method, path, who, "an outsider's refused requests wrote something"))
    assert failures == []
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]


SOCKET_ACTIONS = ["join", "leave", "message", "edit_message", "delete_message", "progress", "typing", "read",
                  "live_start", "live_resume", "live_pause", "live_stop", "live_heartbeat", "live_watch", "signal",
                  "visibility"]


def test_every_socket_action_refuses_the_corpus_cleanly(app, api, people, world, caplog):
    from workspace.extensions import socketio

    caplog.set_level(logging.ERROR, logger="workspace")
    app.config["SOCKET_RATE_LIMITS"] = {name: (10**6, 10) for name in SOCKET_ACTIONS}
    client = socketio.test_client(app, auth={"token": people["client"]["token"]})
    failures = []
    for name in SOCKET_ACTIONS:
        for value in CORPUS:
            for payload in (value, {"job": world["job_id"], **{f: value for f in
                                                              ("after", "body", "id", "percent", "seq", "to", "data",
                                                               "title", "reply_to", "client_ref", "milestone_id")}},
                            {"job": value}):
                ack = client.emit(name, json.loads(json.dumps(payload)), callback=True)
                if not isinstance(ack, dict) or (not ack.get("ok") and ack["error"]["code"] == "internal"):
                    failures.append((name, json.dumps(payload)[:80], ack))
                assert client.is_connected(), (name, payload)
    assert failures == []
    assert [r for r in caplog.records if r.exc_info] == []
