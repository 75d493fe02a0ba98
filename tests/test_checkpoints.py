"""Signed checkpoints of each job's chain (issue 11's first step): the public key is published, a
member's checkpoint names the real head and its signature verifies with that key alone — and fails
for a checkpoint changed in any field; the key survives restarts (it lives in the instance folder)."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from tests.conftest import make_test_app
from workspace.domain.chain import canonical_json


def _raw(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verifies(key: str, signed: dict) -> bool:
    """Verification with cryptography directly (not our helper), as an outside verifier would."""
    try:
        Ed25519PublicKey.from_public_bytes(_raw(key)).verify(_raw(signed["signature"]),
                                                            canonical_json(signed["checkpoint"]).encode())
    except Exception:  # noqa: BLE001 - any failure is "does not verify"
        return False
    return True


def test_a_checkpoint_names_the_head_and_verifies_with_the_published_key(app, api, people, job):
    from workspace.extensions import db
    from workspace.models import Event, Job

    keys = api.client.get("/api/v1/keys").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["alg"] == "Ed25519"
    f = people["freelancer"]
    api.ok("POST", f"/jobs/{job['id']}/messages", f, {"body": "Signed"}, status=201)
    signed = api.ok("GET", f"/jobs/{job['id']}/checkpoint", people["viewer"])
    with app.app_context():
        row = db.session.scalar(select(Job).where(Job.public_id == job["id"]))
        head = db.session.scalar(select(Event).where(Event.job_id == row.id, Event.seq == row.last_seq))
        assert signed["checkpoint"]["seq"] == row.last_seq and signed["checkpoint"]["hash"] == head.hash
    assert signed["key_id"] == keys[0]["key_id"]
    assert verifies(keys[0]["public_key"], signed)
    for field, value in (("seq", signed["checkpoint"]["seq"] - 1), ("hash", "0" * 64), ("job", "other"),
                         ("at", "2020-01-01T00:00:00Z")):
        forged = {**signed, "checkpoint": {**signed["checkpoint"], field: value}}
        assert not verifies(keys[0]["public_key"], forged), field


def test_only_members_get_checkpoints(api, people, job):
    assert api.call("GET", f"/jobs/{job['id']}/checkpoint", people["outsider"]).status_code == 404
    assert api.client.get(f"/api/v1/jobs/{job['id']}/checkpoint").status_code == 401


def test_the_key_is_the_instances_and_survives_a_restart(database_url, tmp_path, monkeypatch):
    def keys_of(instance):
        monkeypatch.setenv("WORKSPACE_INSTANCE", str(instance))
        return make_test_app(database_url, instance).test_client().get("/api/v1/keys").get_json()["keys"][0]

    first = keys_of(tmp_path / "one")
    assert keys_of(tmp_path / "one") == first  # a restart reads the same key
    assert (tmp_path / "one" / "signing_key").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert keys_of(tmp_path / "two")["public_key"] != first["public_key"]  # each instance has its own
