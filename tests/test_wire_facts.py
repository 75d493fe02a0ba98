"""An event's wire form gives back the facts its `data_digest` was made of (`wire.facts_of_wire`, and
static/js/chain-verify.js's `factsOf`, checked against it in test_browser_chain.py): so a member can
check each event's content, not only the links between events."""
from __future__ import annotations

from typing import Any

from tests.money_support import activate, confirm, pay
from workspace.domain.chain import data_digest


def _upload(api, who, job_id: str, data: bytes, name: str) -> dict[str, Any]:
    import io

    response = api.client.post(f"/api/v1/jobs/{job_id}/attachments", data={"file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data",
                               headers={"Authorization": f"Bearer {who['token']}"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["attachment"]


def busy_history(app, api, people, job) -> list[dict[str, Any]]:
    """Every kind of entity an event carries: terms, a submission with a file, messages with a file, a
    reply, an edit and a delete, progress with a note, a confirmed payment, a dispute with a proposal,
    a live session."""
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import live

    f, c = people["freelancer"], people["client"]
    state = activate(api, people, job)
    milestone = state["milestones"][0]["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    drawing = _upload(api, f, job["id"], png, "concepts.png")
    api.ok("POST", f"/milestones/{milestone}/submit", f, {"note": "Two **concepts**", "attachments": [drawing["id"]]})
    sheet = _upload(api, f, job["id"], b"%PDF-1.4 sheet\n" * 20, "sheet.pdf")
    first = api.ok("POST", f"/jobs/{job['id']}/messages", f, {"body": "Here *it* is", "attachments": [sheet["id"]]},
                   status=201)["event"]
    api.ok("POST", f"/jobs/{job['id']}/messages", c, {"body": "Thanks\nline two", "reply_to": first["data"]["message"]["id"]},
           status=201)
    typo = api.ok("POST", f"/jobs/{job['id']}/messages", c, {"body": "Looks god"}, status=201)["event"]
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{typo['data']['message']['id']}", c, {"body": "Looks good"})
    gone = api.ok("POST", f"/jobs/{job['id']}/messages", c, {"body": "oops"}, status=201)["event"]
    api.ok("DELETE", f"/jobs/{job['id']}/messages/{gone['data']['message']['id']}", c)
    api.ok("POST", f"/jobs/{job['id']}/progress", f, {"percent": 40, "note": "Layout *done*"}, status=201)
    paid = pay(api, c, job["id"], 10000)
    assert paid.status_code == 201, paid.get_json()
    assert confirm(api, f, paid.get_json()["payment"]["id"]).status_code == 200
    with app.app_context():
        live.start_session(db.session.get(User, f["id"]), job["id"], "sid-1", "Sketching")
        live.stop_session(db.session.get(User, f["id"]), job["id"])
        db.session.remove()
    page = api.events(c, job["id"], after=0, limit=500)
    assert not page["more"]
    return page["events"]


def test_each_events_wire_form_gives_back_the_facts_of_its_digest(app, api, people, job):
    from workspace.services.wire import facts_of_wire

    events = busy_history(app, api, people, job)
    checked = 0
    for event in events:
        message = event["data"].get("message")
        if isinstance(message, dict) and message.get("erased"):
            continue  # an erased version keeps only its digest
        assert data_digest(facts_of_wire(event["type"], event["data"])) == event["data_digest"], event
        checked += 1
    types = {e["type"] for e in events}
    assert {"message.posted", "message.edited", "message.deleted", "milestone.submitted", "progress.posted",
            "payment.confirmed", "session.started", "session.ended", "agreement.in_force"} <= types, types
    assert checked >= len(events) - 3
