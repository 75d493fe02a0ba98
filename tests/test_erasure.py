"""Deleted means gone: a deleted message's text, files and quoted excerpts are erased for everyone
(the chain still verifies over content digests); edits keep only the latest text; migration 0007."""
from __future__ import annotations

import hashlib
import io
import json
from datetime import timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

IBAN = "DE89370400440532013000"


def post(api, who, job, body, **extra):
    response = api.call("POST", f"/jobs/{job['id']}/messages", who, {"body": body, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["event"]


def upload(api, who, job, data: bytes, name: str):
    response = api.call("POST", f"/jobs/{job['id']}/attachments", who,
                        data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["attachment"]


def job_pk(public_id: str) -> int:
    from workspace.extensions import db
    from workspace.models import Job

    return int(db.session.scalar(select(Job.id).where(Job.public_id == public_id)))


def stored_text(app) -> str:
    """Everything the database holds that a reader could be shown, as one string."""
    from workspace.extensions import db
    from workspace.models import Attachment, Event, Message, Notification

    with app.app_context():
        parts = [json.dumps(e.data) for e in db.session.scalars(select(Event))]
        parts += [m.body for m in db.session.scalars(select(Message))]
        parts += [a.filename + " " + a.storage_name for a in db.session.scalars(select(Attachment))]
        parts += [n.title + " " + n.body for n in db.session.scalars(select(Notification))]
        db.session.remove()
    return "\n".join(parts)


def test_a_deleted_message_is_gone_for_a_viewer_invited_later(app, api, people, job):
    f, c = people["freelancer"], people["client"]
    attachment = upload(api, c, job, f"IBAN {IBAN}\n".encode(), f"iban-{IBAN}.txt")
    posted = post(api, c, job, f"Pay to {IBAN} please", attachments=[attachment["id"]])
    message_id = posted["data"]["message"]["id"]
    reply = post(api, f, job, "Thanks, noted", reply_to=message_id)
    assert reply["data"]["message"]["reply_to"]["excerpt"] == f"Pay to {IBAN} please"
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{message_id}", c, {"body": f"Oops: {IBAN} was wrong"})
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert any(upload_dir.iterdir())

    deleted = api.ok("DELETE", f"/jobs/{job['id']}/messages/{message_id}", c)["event"]
    assert IBAN not in json.dumps(deleted)

    later = api.signup("latecomer")
    api.join(later, api.invite(f, job["id"], "viewer")["token"])
    page = api.events(later, job["id"])
    assert IBAN not in json.dumps(page)
    by_type = {}
    for e in page["events"]:
        if e["type"].startswith("message.") and e["data"]["message"]["id"] == message_id:
            by_type.setdefault(e["type"], []).append(e)
    assert set(by_type) == {"message.posted", "message.edited", "message.deleted"}
    for e in by_type["message.posted"] + by_type["message.edited"]:
        remains = e["data"]["message"]
        assert remains["deleted"] is True and remains["body"] == "" and remains["html"] == ""
        assert remains["attachments"] == [] and remains["reply_to"] is None
        # What remains: that a message existed, who posted it, when.
        assert remains["id"] == message_id and remains["author"]["id"] == c["id"]
        assert remains["created_at"] == posted["data"]["message"]["created_at"]
        assert e["actor"]["id"] == c["id"] and e["at"]
    replies = [e for e in page["events"] if e["seq"] == reply["seq"]]
    assert replies[0]["data"]["message"]["reply_to"]["excerpt"] == ""
    assert replies[0]["data"]["message"]["body"] == "Thanks, noted"  # the reply itself stays

    for who in (later, c):
        download = api.client.get(attachment["url"], headers={"Authorization": f"Bearer {who['token']}"})
        assert download.status_code == 404 and "deleted with its message" in download.get_data(as_text=True)
    assert list(upload_dir.iterdir()) == []
    assert IBAN not in stored_text(app)
    # Its notification says it was deleted (not an empty quote).
    told = api.ok("GET", "/notifications", f)["notifications"]
    assert [n["body"] for n in told if n["seq"] == posted["seq"]] == ["This message was deleted."]

    from workspace.services.events import verify_chain

    with app.app_context():
        assert verify_chain(job_pk(job["id"])) is None


def test_an_edit_keeps_only_the_latest_text(app, api, people, job):
    f, c = people["freelancer"], people["client"]
    posted = post(api, c, job, "version one, secret")
    message_id = posted["data"]["message"]["id"]
    for text in ("version two, secret", "version three"):
        api.ok("PATCH", f"/jobs/{job['id']}/messages/{message_id}", c, {"body": text})
    reply = post(api, f, job, "ok", reply_to=message_id)
    assert reply["data"]["message"]["reply_to"]["excerpt"] == "version three"
    page = api.events(people["viewer"], job["id"])
    assert "secret" not in json.dumps(page)
    versions = [e["data"]["message"] for e in page["events"]
                if e["type"] in ("message.posted", "message.edited") and e["data"]["message"]["id"] == message_id]
    assert [v["body"] for v in versions] == ["", "", "version three"]
    assert [v.get("erased", False) for v in versions] == [True, True, False]
    assert not any(v["deleted"] for v in versions)
    assert versions[0]["client_ref"] == posted["data"]["message"]["client_ref"]
    assert "secret" not in stored_text(app)
    from workspace.services.events import verify_chain

    with app.app_context():
        assert verify_chain(job_pk(job["id"])) is None


def test_replies_quote_the_original_as_it_is_now(api, people, job):
    f, c = people["freelancer"], people["client"]
    original = post(api, c, job, "first words")["data"]["message"]
    reply = post(api, f, job, "answer", reply_to=original["id"])
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{original['id']}", c, {"body": "better words"})
    quoted = [e for e in api.events(c, job["id"])["events"] if e["seq"] == reply["seq"]][0]
    assert quoted["data"]["message"]["reply_to"]["excerpt"] == "better words"
    api.ok("DELETE", f"/jobs/{job['id']}/messages/{original['id']}", c)
    quoted = [e for e in api.events(c, job["id"])["events"] if e["seq"] == reply["seq"]][0]
    assert quoted["data"]["message"]["reply_to"]["excerpt"] == ""


def test_tampering_is_still_detected_after_erasure(app, api, people, job):
    f, c = people["freelancer"], people["client"]
    keep = post(api, f, job, "this one stays")
    gone = post(api, c, job, "this one goes")
    api.ok("DELETE", f"/jobs/{job['id']}/messages/{gone['data']['message']['id']}", c)
    from workspace.db import transaction
    from workspace.extensions import db
    from workspace.models import Event
    from workspace.services.events import verify_chain

    with app.app_context():
        pk = job_pk(job["id"])
        assert verify_chain(pk) is None
        erased = db.session.scalar(select(Event).where(Event.job_id == pk, Event.seq == gone["seq"]))
        assert erased.erased_at is not None and erased.data_digest
        original = db.session.scalar(select(Event).where(Event.job_id == pk, Event.seq == keep["seq"]))
        original_data, original_digest = original.data, original.data_digest
        db.session.remove()

        changed = {"message": {**keep["data"]["message"], "body": "this one was changed"}}
        with transaction() as tx:  # the content of an event that was not erased
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == keep["seq"]).values(data=changed))
        db.session.remove()
        assert verify_chain(pk) == keep["seq"]

        with transaction() as tx:  # ... and its digest too, to match
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == keep["seq"]).values(
                data_digest=hashlib.sha256(json.dumps(changed, sort_keys=True, separators=(",", ":"),
                                                      ensure_ascii=False).encode()).hexdigest()))
        db.session.remove()
        assert verify_chain(pk) == keep["seq"]

        with transaction() as tx:  # put it back; then change the erased event's stored digest
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == keep["seq"]).values(
                data=original_data, data_digest=original_digest))
        db.session.remove()
        assert verify_chain(pk) is None
        with transaction() as tx:
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == gone["seq"]).values(
                data_digest="0" * 64))
        db.session.remove()
        assert verify_chain(pk) == gone["seq"]

        # Marking an event erased hides a change only where an edit or delete recorded later justifies it.
        with transaction() as tx:
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == gone["seq"]).values(
                data_digest=erased.data_digest))
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == keep["seq"]).values(
                data={"message": {**keep["data"]["message"], "body": "", "html": "", "erased": True}},
                erased_at=erased.erased_at))
        db.session.remove()
        assert verify_chain(pk) == keep["seq"]  # a message nobody edited or deleted
        with transaction() as tx:
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == keep["seq"]).values(
                data=original_data, erased_at=None))
            tx.session.execute(update(Event).where(Event.job_id == pk, Event.seq == 1).values(
                data={"title": "Another job"}, erased_at=erased.erased_at))
        db.session.remove()
        assert verify_chain(pk) == 1  # not a message at all


# ---------------------------------------------------------------- migration 0007

def _old_canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _old_iso(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _relink_old_scheme(conn, job_id: int, public: str, check_only: bool = False) -> bool:
    """The chain as 0006 made it: hash = sha256(prev + canonical {job, seq, type, at, actor_id, data})."""
    from workspace.db import UTCDateTime

    events = sa.table("events", sa.column("id", sa.Integer), sa.column("job_id", sa.Integer),
                      sa.column("seq", sa.Integer), sa.column("type", sa.String), sa.column("at", UTCDateTime()),
                      sa.column("actor_id", sa.Integer), sa.column("data", sa.JSON),
                      sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    prev = "0" * 64
    for row in conn.execute(sa.select(events).where(events.c.job_id == job_id).order_by(events.c.seq)).all():
        canonical = {"job": public, "seq": row.seq, "type": row.type, "at": _old_iso(row.at),
                     "actor_id": row.actor_id, "data": row.data}
        digest = hashlib.sha256((prev + _old_canonical(canonical)).encode()).hexdigest()
        if check_only:
            if row.prev_hash != prev or row.hash != digest:
                return False
        else:
            conn.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    return True


def test_migration_0007_backfills_digests_relinks_and_erases_old_deletes(app, api, people, job, database_url):
    """A room written under the old scheme (0006: chained over the data, deleted text kept) upgrades to
    digests: the chain verifies, and what old deletes and edits left behind is erased."""
    from workspace.db import normalize_url
    from workspace.extensions import db
    from workspace.migrate import upgrade
    from workspace.services.attachments import purge_erased_files

    f, c = people["freelancer"], people["client"]
    from workspace.models import Attachment

    content = f"IBAN {IBAN}\n".encode()
    attachment = upload(api, c, job, content, "bank.txt")
    doomed_event = post(api, c, job, f"Pay to {IBAN}", attachments=[attachment["id"]])
    doomed = doomed_event["data"]["message"]
    reply = post(api, f, job, "noted", reply_to=doomed["id"])
    first_version = post(api, f, job, "draft with a typo")
    edited = first_version["data"]["message"]
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{edited['id']}", f, {"body": "final text"})
    with app.app_context():
        pk = job_pk(job["id"])
        storage_name = db.session.scalar(select(Attachment.storage_name).where(Attachment.public_id == attachment["id"]))
        db.session.remove()
    api.ok("DELETE", f"/jobs/{job['id']}/messages/{doomed['id']}", c)
    db.engine.dispose()
    upload_dir = Path(app.config["UPLOAD_DIR"])
    (upload_dir / storage_name).write_bytes(content)  # the old code left the file on disk

    from alembic import command
    from workspace.migrate import alembic_config

    url = normalize_url(database_url)
    try:
        command.downgrade(alembic_config(database_url), "0006")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            # What the old code left: the deleted message's row kept its body and its file, the posted
            # event its text, the reply a stored excerpt, the edited message its first version's text.
            events = sa.table("events", sa.column("job_id", sa.Integer), sa.column("seq", sa.Integer),
                              sa.column("data", sa.JSON))
            reply_data = conn.execute(sa.select(events.c.data).where(
                events.c.job_id == pk, events.c.seq == reply["seq"])).scalar_one()
            reply_data["message"]["reply_to"]["excerpt"] = f"Pay to {IBAN}"
            conn.execute(events.update().where(events.c.job_id == pk, events.c.seq == reply["seq"])
                         .values(data=reply_data))
            conn.execute(sa.text("UPDATE messages SET body = :body WHERE id = :id"),
                         {"id": doomed["id"], "body": doomed["body"]})
            conn.execute(sa.text("UPDATE attachments SET filename = 'bank.txt', storage_name = :name"),
                         {"name": storage_name})
            for old in (doomed_event, first_version):
                conn.execute(events.update().where(events.c.job_id == pk, events.c.seq == old["seq"])
                             .values(data=old["data"]))
                conn.execute(sa.text("UPDATE notifications SET body = :body WHERE seq = :seq"),
                             {"seq": old["seq"], "body": old["data"]["message"]["body"]})
            assert _relink_old_scheme(conn, pk, job["id"])
            assert _relink_old_scheme(conn, pk, job["id"], check_only=True)
            everything = json.dumps(conn.execute(sa.select(events.c.data).where(events.c.job_id == pk)).scalars().all())
            assert "typo" in everything and IBAN in everything
        engine.dispose()
    finally:
        upgrade(database_url)

    from workspace.services.events import verify_chain

    with app.app_context():
        assert verify_chain(pk) is None
        db.session.remove()
    page = api.events(people["viewer"], job["id"])
    text = json.dumps(page)
    assert IBAN not in text and "typo" not in text and "final text" in text
    posted = [e for e in page["events"] if e["type"] == "message.posted" and e["data"]["message"]["id"] == doomed["id"]]
    assert posted[0]["data"]["message"]["deleted"] is True and posted[0]["data"]["message"]["body"] == ""
    quoted = [e for e in page["events"] if e["seq"] == reply["seq"]][0]
    assert quoted["data"]["message"]["reply_to"]["excerpt"] == ""
    download = api.client.get(attachment["url"], headers={"Authorization": f"Bearer {c['token']}"})
    assert download.status_code == 404 and "deleted with its message" in download.get_data(as_text=True)
    assert any(upload_dir.iterdir())  # the migration could not reach the disk ...
    with app.app_context():
        assert purge_erased_files(upload_dir) == 1
        assert purge_erased_files(upload_dir) == 0
        db.session.remove()
    assert list(upload_dir.iterdir()) == []  # ... the purge does
    assert IBAN not in stored_text(app) and "typo" not in stored_text(app)


# ---------------------------------------------------------------- in Chromium

@pytest.fixture
def room_of_two(live_server, contexts):
    """A freelancer and a client in a room in Chromium (the viewer is a member who has not opened it)."""
    from tests.browser_support import log_in, open_room
    from tests.sockets import job_with_people

    job, people = job_with_people(live_server)
    fran, cleo = contexts().new_page(), contexts().new_page()
    for page, who in ((fran, "freelancer"), (cleo, "client")):
        log_in(page, live_server, people[who])
        open_room(page, live_server, job["id"])
    return live_server, job, people, fran, cleo


@pytest.mark.browser
def test_the_room_says_what_remains_and_a_latecomer_sees_no_trace(room_of_two, contexts):
    from tests.browser_support import log_in, open_room
    from tests.test_browser_room import send

    server, job, people, fran, cleo = room_of_two
    send(cleo, f"first: {IBAN}")
    fran.locator(".prose", has_text=IBAN).wait_for()
    cleo.locator(".event-message.mine", has_text=IBAN).get_by_role("button", name="Edit").click()
    cleo.fill(".edit-area", f"corrected: {IBAN}")
    cleo.get_by_role("button", name="Save", exact=True).click()
    fran.locator(".prose", has_text="corrected").wait_for()
    send(cleo, "this stays, edited")
    cleo.locator(".event-message.mine:not(.pending)", has_text="this stays").wait_for()
    cleo.locator(".event-message.mine", has_text="this stays").get_by_role("button", name="Edit").click()
    cleo.fill(".edit-area", "this stays, final")
    cleo.get_by_role("button", name="Save", exact=True).click()
    fran.locator(".event-message", has_text="corrected").get_by_role("button", name="Reply").click()
    send(fran, "noted")
    cleo.locator(".reply-quote", has_text=IBAN).wait_for()
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    cleo.on("dialog", answer)
    cleo.locator(".event-message.mine", has_text="corrected").get_by_role("button", name="Delete").click()
    fran.locator(".deleted", has_text="Message deleted").wait_for()
    assert asked == ["Delete this message? The text and files are erased for everyone. What remains: "
                     "that a message existed, who posted it and when."]
    fran.locator(".reply-quote", has_text="(deleted)").wait_for()  # live, on the reply already shown
    assert IBAN not in fran.text_content("#timeline")

    viewer = contexts().new_page()
    log_in(viewer, server, people["viewer"])
    open_room(viewer, server, job["id"])
    viewer.locator(".prose", has_text="this stays, final").wait_for()
    viewer.locator(".deleted", has_text="Message deleted").wait_for()
    viewer.locator(".reply-quote", has_text="(deleted)").wait_for()
    timeline = viewer.text_content("#timeline")
    assert IBAN not in timeline and "this stays, edited" not in timeline
    assert "Earlier version" not in timeline  # the edit that follows shows on the message itself
    assert IBAN not in viewer.content()
