"""Bad input never reaches a 500: the error envelope for every kind of mistake."""
from __future__ import annotations

import pytest


def test_anonymous_is_401(api, job):
    response = api.call("GET", f"/jobs/{job['id']}")
    assert response.status_code == 401
    body = response.get_json()
    assert body == {"error": {"code": "unauthorized", "message": body["error"]["message"]}}


def test_unknown_or_foreign_job_is_404(api, people, job):
    assert api.call("GET", "/jobs/does-not-exist", people["freelancer"]).status_code == 404
    assert api.call("GET", f"/jobs/{job['id']}", people["outsider"]).status_code == 404


@pytest.mark.parametrize("raw", [b"{", b"[1, 2", b"\xff\xfe", b"nul"])
def test_malformed_json_is_400(api, people, raw):
    response = api.client.post("/api/v1/jobs", data=raw, content_type="application/json",
                               headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_json"


@pytest.mark.parametrize("body", [[1, 2], "text", 5, None])
def test_non_object_json_is_422_or_field_errors(api, people, body):
    response = api.call("POST", "/jobs", people["freelancer"], body)
    assert response.status_code == 422


def test_oversize_json_is_413(api, people, job):
    huge = {"title": "x", "description": "y" * (300 * 1024)}
    response = api.call("POST", "/jobs", people["freelancer"], huge)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


def test_oversize_upload_body_is_413(api, people):
    response = api.client.post("/api/v1/jobs", data=b"x" * (27 * 1024 * 1024), content_type="application/json",
                               headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
    assert response.status_code == 413


def test_an_upload_over_the_limit_says_the_limit(api, people, job):
    import io

    response = api.client.post(f"/api/v1/jobs/{job['id']}/attachments",
                               data={"file": (io.BytesIO(b"x" * (27 * 1024 * 1024)), "big.bin")},
                               content_type="multipart/form-data",
                               headers={"Authorization": f"Bearer {people['freelancer']['token']}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "The request is too large: a file may be up to 25 MB."


@pytest.mark.parametrize("field,value", [
    ("milestones", "lots"), ("milestones", [None]), ("upfront", {"kind": "some"}),
    ("deadline", 20300101), ("currency", ["EUR"]), ("scope", {"a": 1}), ("update_every_hours", True),
    ("auto_approve_days", 1.5), ("milestones", [{"title": "t", "amount": 10**20, "due": "2030-01-01"}]),
])
def test_wrong_types_in_terms_are_422(api, people, job, field, value):
    from tests.support import terms

    response = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], terms(**{field: value}))
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]


def test_unknown_route_and_method(api, people):
    assert api.call("GET", "/nope", people["freelancer"]).get_json()["error"]["code"] == "not_found"
    assert api.call("PUT", "/jobs", people["freelancer"]).status_code == 405


def test_unknown_page_is_a_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)


def test_openapi_document_lists_the_routes(api):
    doc = api.ok("GET", "/openapi.json")
    assert doc["openapi"].startswith("3.")
    for path in ("/signup", "/tokens", "/jobs", "/jobs/{job_id}", "/jobs/{job_id}/invites",
                 "/invites/{token}/accept", "/jobs/{job_id}/agreements",
                 "/jobs/{job_id}/agreements/{version}/accept", "/jobs/{job_id}/events"):
        assert path in doc["paths"], path


def test_openapi_matches_the_url_map(app):
    """Every /api/v1 route is documented and every documented path exists."""
    import re

    from workspace.web.openapi import openapi_document

    documented = set(openapi_document()["paths"])
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            routed.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):]))
    assert routed == documented
