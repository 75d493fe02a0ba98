"""Messages, attachments, progress, read cursors and member removal through the HTTP API."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import update

from tests.support import terms


def post(api, who, job, body="Hello", **extra):
    return api.call("POST", f"/jobs/{job['id']}/messages", who, {"body": body, **extra})


def test_message_is_an_event_with_safe_html(api, people, job):
    response = post(api, people["client"], job, "Hi **there** <script>alert(1)</script> [x](javascript:alert(1))")
    assert response.status_code == 201
    event = response.get_json()["event"]
    assert event["type"] == "message.posted" and event["actor"]["id"] == people["client"]["id"]
    message = event["data"]["message"]
    assert "<strong>there</strong>" in message["html"]
    assert "<script" not in message["html"] and "href=\"javascript" not in message["html"]
    assert api.events(people["viewer"], job["id"])["events"][-1] == event


@pytest.mark.parametrize("body,status", [("", 422), ("   \n ", 422), ("x" * 10_001, 422), (5, 422),
                                         ("x" * 10_000, 201)])
def test_message_body_bounds(api, people, job, body, status):
    assert post(api, people["freelancer"], job, body).status_code == status


def test_client_ref_makes_retries_idempotent(api, people, job):
    first = post(api, people["client"], job, "once", client_ref="abc-1").get_json()["event"]
    again = post(api, people["client"], job, "once", client_ref="abc-1")
    assert again.status_code == 201 and again.get_json()["event"] == first
    assert sum(e["type"] == "message.posted" for e in api.events(people["client"], job["id"])["events"]) == 1
    other = post(api, people["freelancer"], job, "once", client_ref="abc-1").get_json()["event"]
    assert other["seq"] == first["seq"] + 1  # refs are per author


def test_viewers_and_outsiders_cannot_post(api, people, job):
    assert post(api, people["viewer"], job).status_code == 403
    assert post(api, people["outsider"], job).status_code == 404
    assert post(api, None, job).status_code == 401


def test_reply_must_be_in_the_same_job(api, people, job):
    other_job = api.create_job(people["outsider"])
    foreign = post(api, people["outsider"], other_job, "elsewhere").get_json()["event"]["data"]["message"]["id"]
    assert post(api, people["client"], job, "re", reply_to=foreign).status_code == 404
    mine = post(api, people["client"], job, "original").get_json()["event"]["data"]["message"]
    reply = post(api, people["freelancer"], job, "answer", reply_to=mine["id"]).get_json()["event"]
    assert reply["data"]["message"]["reply_to"]["excerpt"] == "original"


def test_edit_within_window_and_delete(app, api, people, job):
    c = people["client"]
    message = post(api, c, job, "first draft").get_json()["event"]["data"]["message"]
    edited = api.ok("PATCH", f"/jobs/{job['id']}/messages/{message['id']}", c, {"body": "second draft"})["event"]
    assert edited["type"] == "message.edited" and edited["data"]["message"]["edited_at"]
    assert edited["data"]["message"]["body"] == "second draft"
    assert api.call("PATCH", f"/jobs/{job['id']}/messages/{message['id']}", people["freelancer"],
                    {"body": "hijack"}).status_code == 403
    from workspace.db import transaction, utcnow
    from workspace.models import Message

    with app.app_context(), transaction() as tx:
        tx.session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=16)))
    late = api.call("PATCH", f"/jobs/{job['id']}/messages/{message['id']}", c, {"body": "too late"})
    assert late.status_code == 403 and late.get_json()["error"]["code"] == "edit_window_closed"
    deleted = api.ok("DELETE", f"/jobs/{job['id']}/messages/{message['id']}", c)["event"]
    assert deleted["type"] == "message.deleted" and deleted["data"]["message"]["deleted"] is True
    assert deleted["data"]["message"]["body"] == "" and deleted["data"]["message"]["html"] == ""
    assert api.call("DELETE", f"/jobs/{job['id']}/messages/{message['id']}", c).status_code == 404


def test_progress_by_the_freelancer_only(api, people, job):
    f = people["freelancer"]
    api.propose(f, job["id"])
    api.accept(people["client"], job["id"], 1)
    milestone = api.ok("GET", f"/jobs/{job['id']}", f)["job"]["milestones"][0]
    event = api.ok("POST", f"/jobs/{job['id']}/progress", f,
                   {"percent": 40, "note": "Layout done", "milestone_id": milestone["id"]}, status=201)["event"]
    assert event["type"] == "progress.posted"
    assert event["data"]["progress"]["percent"] == 40 and event["data"]["progress"]["milestone"]["title"] == "Concepts"
    for who, status in (("client", 403), ("viewer", 403), ("outsider", 404)):
        assert api.call("POST", f"/jobs/{job['id']}/progress", people[who], {"percent": 50}).status_code == status
    for bad in (-1, 101, "50", 50.5, None, True):
        assert api.call("POST", f"/jobs/{job['id']}/progress", f, {"percent": bad}).status_code == 422
    # A milestone id in the body that is not this job's is a bad field (the job itself exists): 422.
    refused = api.call("POST", f"/jobs/{job['id']}/progress", f, {"percent": 5, "milestone_id": 99999})
    assert refused.status_code == 422 and "milestone_id" in refused.get_json()["error"]["fields"]


def test_read_cursor_moves_forward_only_and_feeds_unread_counts(api, people, job):
    c, f = people["client"], people["freelancer"]
    for n in range(3):
        post(api, f, job, f"m{n}")
    last = api.events(c, job["id"])["last_seq"]
    unread = {j["id"]: j["unread"] for j in api.ok("GET", "/jobs", c)["jobs"]}
    assert unread[job["id"]] == last - 1  # everything but the client's own "joined" event... by others
    assert api.ok("POST", f"/jobs/{job['id']}/read", c, {"seq": last})["last_read_seq"] == last
    assert api.ok("POST", f"/jobs/{job['id']}/read", c, {"seq": 1})["last_read_seq"] == last
    assert api.ok("POST", f"/jobs/{job['id']}/read", c, {"seq": last + 50})["last_read_seq"] == last
    assert {j["id"]: j["unread"] for j in api.ok("GET", "/jobs", c)["jobs"]}[job["id"]] == 0
    post(api, c, job, "mine does not count")
    post(api, f, job, "this does")
    assert {j["id"]: j["unread"] for j in api.ok("GET", "/jobs", c)["jobs"]}[job["id"]] == 1
    members = api.ok("GET", f"/jobs/{job['id']}", f)["job"]["members"]
    assert {m["id"]: m["last_read_seq"] for m in members}[c["id"]] == last


def test_removed_member_loses_access(api, people, job):
    f, c = people["freelancer"], people["client"]
    event = api.ok("DELETE", f"/jobs/{job['id']}/members/{people['viewer']['id']}", f)["event"]
    assert event["type"] == "member.removed" and event["data"]["user"]["id"] == people["viewer"]["id"]
    assert api.call("GET", f"/jobs/{job['id']}/events", people["viewer"]).status_code == 404
    assert api.call("DELETE", f"/jobs/{job['id']}/members/{f['id']}", f).status_code == 409
    assert api.call("DELETE", f"/jobs/{job['id']}/members/{f['id']}", c).status_code == 403


def _png(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def upload(api, who, job, data: bytes, name="shot.png"):
    return api.call("POST", f"/jobs/{job['id']}/attachments", who,
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_image_upload_gets_a_thumbnail_and_is_served_to_members_only(api, people, job):
    c = people["client"]
    response = upload(api, c, job, _png())
    assert response.status_code == 201
    attachment = response.get_json()["attachment"]
    assert attachment["type"] == "image/png" and attachment["width"] == 800 and attachment["thumb_url"]
    event = post(api, c, job, "see attached", attachments=[attachment["id"]]).get_json()["event"]
    assert event["data"]["message"]["attachments"][0]["id"] == attachment["id"]
    headers = {"Authorization": f"Bearer {people['viewer']['token']}"}
    full = api.client.get(attachment["url"], headers=headers)
    assert full.status_code == 200 and full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.data == _png() and "sandbox" in full.headers["Content-Security-Policy"]
    thumb = api.client.get(attachment["thumb_url"], headers=headers)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 320
    outsider = {"Authorization": f"Bearer {people['outsider']['token']}"}
    assert api.client.get(attachment["url"], headers=outsider).status_code == 404
    # Used once: it cannot be attached to a second message.
    assert post(api, c, job, "again", attachments=[attachment["id"]]).status_code == 422


def test_content_type_is_sniffed_not_trusted(api, people, job):
    html = b"<html><script>alert(1)</script></html>"
    attachment = upload(api, people["client"], job, html, "innocent.png").get_json()["attachment"]
    assert attachment["type"] == "text/plain" and attachment["thumb_url"] is None
    served = api.client.get(attachment["url"], headers={"Authorization": f"Bearer {people['client']['token']}"})
    assert served.mimetype == "text/plain" and served.headers["Content-Disposition"].startswith("attachment")
    fake = upload(api, people["client"], job, b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "x.png").get_json()["attachment"]
    assert fake["type"] == "application/octet-stream" and fake["thumb_url"] is None


def test_upload_limits_and_rights(app, api, people, job):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    assert upload(api, people["client"], job, b"x" * 1001, "big.txt").status_code == 413
    assert upload(api, people["client"], job, b"", "empty.txt").status_code == 422
    assert upload(api, people["viewer"], job, b"hello").status_code == 403
    assert upload(api, people["outsider"], job, b"hello").status_code == 404
    no_file = api.call("POST", f"/jobs/{job['id']}/attachments", people["client"], data={},
                       content_type="multipart/form-data")
    assert no_file.status_code == 422
    import os

    assert os.listdir(app.config["UPLOAD_DIR"]) == []  # nothing half-written is left behind


def test_older_history_pages_backwards(api, people, job):
    f = people["freelancer"]
    for n in range(10):
        post(api, f, job, f"m{n}")
    last = api.events(f, job["id"])["last_seq"]
    page = api.ok("GET", f"/jobs/{job['id']}/events?before={last + 1}&limit=4", f)
    assert [e["seq"] for e in page["events"]] == list(range(last - 3, last + 1)) and page["more"] is True
    page = api.ok("GET", f"/jobs/{job['id']}/events?before=3&limit=4", f)
    assert [e["seq"] for e in page["events"]] == [1, 2] and page["more"] is False


def test_progress_state_follows_the_cadence(app, api, people, job):
    f = people["freelancer"]
    api.propose(f, job["id"], terms(update_every_hours=6))
    api.accept(people["client"], job["id"], 1)
    api.ok("POST", f"/jobs/{job['id']}/progress", f, {"percent": 25}, status=201)
    state = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["progress"]
    assert state["percent"] == 25 and state["update_every_hours"] == 6
    from datetime import datetime

    due = datetime.fromisoformat(state["next_update_due"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(state["last_update_at"].replace("Z", "+00:00"))
    assert due - last == timedelta(hours=6)


def test_since_you_were_away(app, api, people, job):
    from tests.money_support import activate, submit
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services.events import away_summary

    state = activate(api, people, job)
    c, f = people["client"], people["freelancer"]
    with app.app_context():
        client = db.session.get(User, c["id"])
        assert away_summary(client, job["id"]) is None  # first visit: nothing to summarise
    api.ok("POST", f"/jobs/{job['id']}/read", c, {"seq": api.events(c, job["id"])["last_seq"]})
    for n in range(3):
        post(api, f, job, f"while you were out {n}")
    post(api, c, job, "my own message does not count")
    api.ok("POST", f"/jobs/{job['id']}/progress", f, {"percent": 60}, status=201)
    submit(api, f, state["milestones"][0]["id"])
    with app.app_context():
        away = away_summary(db.session.get(User, c["id"]), job["id"])
    assert away["messages"] == 3 and away["progress"] == 1 and away["sessions"] == 0
    assert [m["title"] for m in away["in_review"]] == ["Concepts"] and away["in_review"][0]["review_due_at"]
    assert away["events"] == 5  # 3 messages, 1 progress, 1 submission
    assert away["live_now"] is False
    from workspace.services.live import start_session

    with app.app_context():
        start_session(db.session.get(User, f["id"]), job["id"], "sid-1", "Sketching")
        away = away_summary(db.session.get(User, c["id"]), job["id"])
    assert away["sessions"] == 1 and away["live_now"] is True  # the page says "live now", not "(0 s)"


def test_a_reload_while_live_is_not_being_away(app, api, people, job):
    """The system pausing the freelancer's own session when their page reloads is not news to them
    (the client, who was away, is told)."""
    from tests.money_support import activate
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import live
    from workspace.services.events import away_summary

    activate(api, people, job)
    f, c = people["freelancer"], people["client"]
    for who in (f, c):
        api.ok("POST", f"/jobs/{job['id']}/read", who, {"seq": api.events(who, job["id"])["last_seq"]})
    with app.app_context():
        live.start_session(db.session.get(User, f["id"]), job["id"], "sid-1", "Sketching")
        api.ok("POST", f"/jobs/{job['id']}/read", f, {"seq": api.events(f, job["id"])["last_seq"]})
        assert live.publisher_gone("sid-1") == 1  # the page reloaded
        assert away_summary(db.session.get(User, f["id"]), job["id"]) is None
        told = away_summary(db.session.get(User, c["id"]), job["id"])
        assert told["sessions"] == 1 and told["events"] == 2  # the start and the pause, for the client
