"""Fuzzing every JSON endpoint of the OpenAPI file and every socket action: never a 5xx, never a crash."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["title", "description", "role", "body", "reason", "note", "amount", "method", "percent", "seq", "rating",
          "criteria", "attachments", "milestones", "upfront", "currency", "deadline", "scope", "terms_hash",
          "out_of_scope", "snapshot_seconds", "email", "password", "name", "client_ref", "reply_to", "milestone_id"]
bodies = st.one_of(json_values, st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    database=None)


def _routes(app):
    from workspace.web.openapi import openapi_document

    for path, ops in openapi_document()["paths"].items():
        for method in ops:
            if method in ("post", "put", "patch", "delete") and "multipart/form-data" not in str(ops[method]):
                yield method.upper(), path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_json_endpoints_never_5xx(app, api, people, world):
    routes = list(_routes(app))
    assert len(routes) > 20

    @SETTINGS
    @given(route=st.sampled_from(routes), body=bodies, who=st.sampled_from(["freelancer", "client", "viewer", "outsider"]),
           key=st.sampled_from([None, "k1", ""]))
    def run(route, body, who, key):
        method, template = route
        path = re.sub(r"\{(\w+)\}", lambda m: str(world[m.group(1)]), template)
        headers = {"Idempotency-Key": key} if key is not None else {}
        response = api.call(method, path, people[who], body, headers=headers)
        assert response.status_code < 500, (method, path, body, response.get_json())
        if response.status_code >= 400:
            assert response.get_json()["error"]["code"]

    run()


SOCKET_ACTIONS = ["join", "leave", "message", "edit_message", "delete_message", "progress", "typing", "read",
                  "live_start", "live_resume", "live_pause", "live_stop", "live_heartbeat", "live_watch", "signal",
                  "visibility"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_socket_actions_never_crash(app, api, people, world):
    from workspace.extensions import socketio

    app.config["SOCKET_RATE_LIMITS"] = {name: (10**6, 10) for name in SOCKET_ACTIONS}
    clients = {who: socketio.test_client(app, auth={"token": people[who]["token"]}) for who in ("freelancer", "viewer")}
    job_values = st.sampled_from([world["job_id"], "nope", 5, None, ""]) | json_values

    @SETTINGS
    @given(name=st.sampled_from(SOCKET_ACTIONS), who=st.sampled_from(list(clients)),
           payload=st.one_of(json_values, st.fixed_dictionaries({"job": job_values}, optional={
               f: json_values for f in ("after", "body", "id", "percent", "seq", "to", "data", "title")})))
    def run(name, who, payload):
        assert clients[who].is_connected(), "disconnected by an earlier action"
        ack = clients[who].emit(name, payload, callback=True)
        assert clients[who].is_connected(), (name, payload, ack)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (name, payload, ack)
        if not ack["ok"]:
            assert ack["error"]["code"] != "internal", (name, payload, ack)

    run()
    for client in clients.values():
        assert client.is_connected()
