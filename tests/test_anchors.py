"""Anchors outside the server (issue 11): a money email carries the job's signed head in its text part,
so a history rewritten later contradicts mail already in the inbox. Through a real SMTP server: the head
names the real last event, verifies with the published key, and checks a dossier with verify.py
--checkpoint; an email about a message carries none."""
from __future__ import annotations

import base64
import io
import json
import subprocess
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import make_test_app
from tests.mailbox import html_of, text_of
from tests.money_support import activate, pay
from workspace.domain.chain import canonical_json
from workspace.dossier_verify import ed25519_verify

AFTER_DELAY = timedelta(seconds=601)


@pytest.fixture
def app(database_url: str, tmp_path: Any, mailbox: Any) -> Any:
    app = make_test_app(database_url, tmp_path, SMTP_URL=mailbox.url, PUBLIC_URL="http://localhost")
    yield app
    from workspace.extensions import db

    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


def _everyone_verified_and_read(app: Any, people: dict[str, Any]) -> None:
    from workspace.db import transaction, utcnow
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import notifications

    with app.app_context():
        with transaction() as tx:
            tx.session.execute(update(User).values(email_verified_at=utcnow()))
        for person in people.values():
            notifications.mark_read(db.session.get(User, person["id"]), all_=True)
        db.session.remove()


def _round(app: Any) -> None:
    from workspace import tasks
    from workspace.db import utcnow

    with app.app_context():
        tasks.run_once(app, utcnow() + AFTER_DELAY)


def _notices(mailbox: Any, address: str, count: int) -> list[Any]:
    def mine(messages: list[Any]) -> list[Any]:
        return [m for m in messages if m["To"] == address and m["X-Workspace-Purpose"] in ("notifications", "digest")]

    mailbox.wait_for(lambda ms: len(mine(ms)) >= count)
    return mine(mailbox.to(address))


def anchor_in(text: str) -> dict[str, Any] | None:
    """The signed head as a person would save it: the email's one JSON line."""
    lines = [line for line in text.splitlines() if line.startswith('{"alg"')]
    return json.loads(lines[0]) if lines else None


def _raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_money_email_carries_the_signed_head_and_a_message_email_does_not(app, api, people, job, mailbox, tmp_path):
    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    _everyone_verified_and_read(app, people)
    api.ok("POST", f"/jobs/{job['id']}/messages", c, {"body": "Paying now"}, status=201)
    assert pay(api, c, job["id"], 10000).status_code == 201
    _round(app)

    (mail,) = _notices(mailbox, f["email"], 1)  # the message and the payment, in one email
    text = text_of(mail)
    assert "Signed record of this job" in text and "Signed record of this job" in html_of(mail)
    anchor = anchor_in(text)
    assert anchor is not None
    events = api.events(f, job["id"])["events"]
    assert anchor["checkpoint"] == {**anchor["checkpoint"], "job": job["id"], "seq": events[-1]["seq"],
                                    "hash": events[-1]["hash"]}
    assert f"Event {events[-1]['seq']}, hash {events[-1]['hash']}" in text and anchor["signature"] in text
    key = api.client.get("/api/v1/keys").get_json()["keys"][0]
    assert anchor["key_id"] == key["key_id"]
    assert ed25519_verify(_raw(key["public_key"]), canonical_json(anchor["checkpoint"]).encode(),
                          _raw(anchor["signature"]))

    # The emailed head checks the job's dossier, as the email says.
    (tmp_path / "head.json").write_text(json.dumps(anchor))
    response = api.call("GET", f"/jobs/{job['id']}/dossier.zip", f)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as zf:
        zf.extractall(tmp_path / "unzipped")
    folder = next((tmp_path / "unzipped").iterdir())
    result = subprocess.run(["/usr/bin/python3", "-I", "verify.py", "--checkpoint", str(tmp_path / "head.json")],
                            cwd=folder, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert f"ok    {tmp_path / 'head.json'}  events.jsonl extends the signed head (seq {events[-1]['seq']}" \
        in result.stdout

    # A later email about a message alone is not a money email: no anchor.
    api.ok("POST", f"/jobs/{job['id']}/messages", c, {"body": "Sent it"}, status=201)
    _round(app)
    later = _notices(mailbox, f["email"], 2)[-1]
    assert anchor_in(text_of(later)) is None and "Signed record" not in text_of(later)


def test_the_anchor_names_the_head_when_the_email_is_made(app, api, people, job, mailbox):
    """Events after the money event but before the email are covered too: the head is the job's."""
    from workspace.extensions import db
    from workspace.models import Event, Job

    f, c = people["freelancer"], people["client"]
    activate(api, people, job)
    _everyone_verified_and_read(app, people)
    assert pay(api, c, job["id"], 10000).status_code == 201
    api.ok("POST", f"/jobs/{job['id']}/progress", f, {"percent": 10, "note": "Started"}, status=201)
    _round(app)
    (mail,) = _notices(mailbox, f["email"], 1)
    anchor = anchor_in(text_of(mail))
    with app.app_context():
        row = db.session.scalar(select(Job).where(Job.public_id == job["id"]))
        head = db.session.scalar(select(Event.hash).where(Event.job_id == row.id, Event.seq == row.last_seq))
        assert (anchor["checkpoint"]["seq"], anchor["checkpoint"]["hash"]) == (row.last_seq, head)
        db.session.remove()
