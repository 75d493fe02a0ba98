"""The OpenAPI document is enforced: a request body is checked against its operation's schema, so an
unknown field, a wrong type or an out-of-range number is a 422 naming the field, and what the document
allows (77.0 for an integer, null for an optional field) is taken."""
from __future__ import annotations

from tests.money_support import activate
from workspace.web.openapi_links import operation_id


def test_unknown_fields_are_refused_by_name(api, people):
    refused = api.call("POST", "/jobs", people["freelancer"], {"title": "Logo", "colour": "red"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"colour": "Unknown field."}


def test_schema_errors_name_every_field_in_plain_words(api, people):
    refused = api.call("POST", "/jobs", people["freelancer"], {"title": "   ", "description": 7})
    fields = refused.get_json()["error"]["fields"]
    assert refused.status_code == 422
    assert fields == {"title": "Give the job a title.", "description": "Must be text or null."}


def test_whole_numbers_written_with_a_point_are_whole_numbers(api, people, job):
    f = people["freelancer"]
    assert api.call("PUT", f"/jobs/{job['id']}/diary/settings", f, {"snapshot_seconds": 600.0}).status_code == 200
    assert api.call("PUT", f"/jobs/{job['id']}/diary/settings", f, {"snapshot_seconds": 600.5}).status_code == 422


def test_a_message_needs_text_or_a_file(api, people, job):
    f = people["freelancer"]
    for body in ({}, {"body": "  "}, {"body": "", "attachments": []}):
        assert api.call("POST", f"/jobs/{job['id']}/messages", f, body).status_code == 422, body
    assert api.call("POST", f"/jobs/{job['id']}/messages", f, {"body": "Hi", "reply_to": None}).status_code == 201


def test_optional_fields_may_be_null(api, people, job):
    state, = [activate(api, people, job)]
    m1 = state["milestones"][0]["id"]
    from tests.test_room_services import _png, upload

    shot = upload(api, people["freelancer"], {"id": state["id"]}, _png()).get_json()["attachment"]
    api.ok("POST", f"/milestones/{m1}/submit", people["freelancer"], {"note": None, "attachments": [shot["id"]]})
    changes = api.call("POST", f"/milestones/{m1}/request-changes", people["client"],
                       {"reason": "Bigger logo", "out_of_scope": None, "criteria": None})
    assert changes.status_code == 200, changes.get_json()


def test_query_parameters_are_held_to_the_document(api, people, job):
    c = people["client"]
    assert api.call("GET", "/notifications?unread=yes", c).status_code == 422
    assert api.call("GET", "/notifications?unread=true", c).status_code == 200
    # `before` wins over `after`, but a bad `after` is still a bad request.
    assert api.call("GET", f"/jobs/{job['id']}/events?after=-5&before=3", c).status_code == 422


def test_an_id_beyond_the_columns_is_a_404_not_a_405(api, people, job):
    f = people["freelancer"]
    assert api.call("DELETE", f"/jobs/{job['id']}/messages/2147483648", f).status_code == 404


def test_every_operation_is_named_and_linked(api):
    document = api.client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            assert op["operationId"] == operation_id(method, path)
            assert "401" in op["responses"] or op.get("security") == []
    created = document["paths"]["/jobs"]["post"]["responses"]["201"]["links"]
    assert created["job_get_jobs_job_id"]["parameters"] == {"job_id": "$response.body#/job/id"}
    invite = document["paths"]["/jobs/{job_id}/invites"]["post"]["responses"]["201"]["links"]
    assert invite["accept"]["parameters"] == {"token": "$response.body#/invite/token"}
