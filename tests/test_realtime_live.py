"""Live sessions over real sockets: who may signal whom, and sessions that end cleanly, never live forever."""
from __future__ import annotations

import time
from datetime import datetime

import pytest

from tests.servers import LiveServer
from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    import shutil

    directory = tmp_path_factory.mktemp("live")
    shutil.copy(sqlite_template, directory / "live.db")
    s = LiveServer(f"sqlite:///{directory / 'live.db'}", directory,
                   env={"LIVE_HEARTBEAT_TIMEOUT": "2", "AUTO_APPROVE_INTERVAL": "0.3"}).start()
    yield s
    s.stop()


class Peer(Watcher):
    """A Watcher that also records `signal` and `live_watcher` messages."""

    def __init__(self, server, who):
        super().__init__(server, who)
        self.signals["signal"] = []
        self.signals["live_watcher"] = []
        for name in ("signal", "live_watcher"):
            self.client.on(name, self._recorder(name))


@pytest.fixture
def room(server):
    job, people = job_with_people(server)
    opened = []

    def peer(role, join=True, who=None):
        p = Peer(server, who or people[role]).connect()
        if join:
            assert p.join(job["id"])["ok"]
        opened.append(p)
        return p

    yield server, job, people, peer
    for p in opened:
        p.close()


def iso(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_signals_flow_only_between_publisher_and_watchers_of_this_job(room):
    server, job, people, peer = room
    publisher = peer("freelancer")
    assert publisher.call("live_start", {"job": job["id"], "title": "Concept B"})["ok"]
    watcher = peer("client")
    viewer = peer("viewer")
    ack = watcher.call("live_watch", {"job": job["id"]})
    assert ack["ok"] and ack["session"]["title"] == "Concept B"
    assert publisher.wait_for(lambda: len(publisher.signals["live_watcher"]) == 1)
    watcher_sid = publisher.signals["live_watcher"][0]["watcher"]["sid"]
    publisher_sid = ack["session"]["publisher_sid"]

    assert publisher.call("signal", {"job": job["id"], "to": watcher_sid, "data": {"description": {"type": "offer"}}})["ok"]
    assert watcher.wait_for(lambda: watcher.signals["signal"] == [
        {"job": job["id"], "from": publisher_sid, "data": {"description": {"type": "offer"}}}])
    assert watcher.call("signal", {"job": job["id"], "to": publisher_sid, "data": {"candidate": {"c": 1}}})["ok"]
    assert publisher.wait_for(lambda: [s["from"] for s in publisher.signals["signal"]] == [watcher_sid])

    # A viewer cannot publish, nor signal another watcher.
    assert viewer.call("live_start", {"job": job["id"]})["error"]["code"] == "forbidden"
    assert viewer.call("signal", {"job": job["id"], "to": watcher_sid, "data": {"x": 1}})["error"]["code"] == "forbidden"
    # An outsider and a member of another job cannot send or receive.
    outsider = peer("outsider", join=False)
    assert outsider.call("signal", {"job": job["id"], "to": publisher_sid, "data": {"x": 1}})["error"]["code"] == "not_found"
    assert outsider.call("live_watch", {"job": job["id"]})["error"]["code"] == "not_found"
    other_job = server.api("POST", "/jobs", people["outsider"], {"title": "Elsewhere"}, status=201).json()["job"]
    assert outsider.join(other_job["id"])["ok"]
    assert outsider.call("signal", {"job": other_job["id"], "to": publisher_sid, "data": {"x": 1}})["error"]["code"] == "not_live"
    # The publisher cannot be made to signal a socket that is not in this room.
    assert publisher.call("signal", {"job": job["id"], "to": "not-a-socket", "data": {"x": 1}})["error"]["code"] == "forbidden"
    time.sleep(0.3)
    assert outsider.signals["signal"] == [] and viewer.signals["signal"] == []
    # A member who is not in the room (never joined) cannot ask to watch.
    lurker = peer("client", join=False)
    assert lurker.call("live_watch", {"job": job["id"]})["error"]["code"] == "not_in_room"


def test_watcher_reconnect_and_publisher_reload_keep_one_clean_session(room):
    server, job, people, peer = room
    publisher = peer("freelancer")
    started = publisher.call("live_start", {"job": job["id"]})["session"]
    watcher = peer("client")
    assert watcher.call("live_watch", {"job": job["id"]})["ok"]
    watcher.close()
    again = peer("client")
    assert again.call("live_watch", {"job": job["id"]})["session"]["id"] == started["id"]
    assert publisher.wait_for(lambda: len(publisher.signals["live_watcher"]) == 2)

    publisher.close()  # the freelancer reloads the page
    assert again.wait_for(lambda: any(e["type"] == "session.paused" and e["data"]["reason"] == "disconnected"
                                      for e in again.events))
    reloaded = peer("freelancer")
    state = server.api("GET", f"/jobs/{job['id']}/live", people["client"], status=200).json()["session"]
    assert state["live"] and state["paused"] and state["publisher_sid"] is None
    resumed = reloaded.call("live_resume", {"job": job["id"]})
    assert resumed["ok"] and resumed["session"]["id"] == started["id"] and not resumed["session"]["paused"]
    assert again.call("live_watch", {"job": job["id"]})["ok"]
    assert reloaded.wait_for(lambda: len(reloaded.signals["live_watcher"]) == 1)
    time.sleep(1.0)
    ended = reloaded.call("live_stop", {"job": job["id"]})["session"]
    assert ended["ended_reason"] == "stopped" and ended["duration_seconds"] >= 1
    total = (iso(ended["ended_at"]) - iso(started["started_at"])).total_seconds()
    assert abs(total - ended["duration_seconds"]) < 1
    # The stop's ack can come before the broadcast reaches another socket: wait for it.
    assert again.wait_for(lambda: any(e["type"] == "session.ended" for e in again.events))
    events = [e["type"] for e in again.events if e["type"].startswith("session.")]
    assert events == ["session.started", "session.paused", "session.resumed", "session.ended"]
    assert reloaded.call("live_stop", {"job": job["id"]})["error"]["code"] == "not_live"
    assert reloaded.call("live_start", {"job": job["id"]})["ok"]  # a new session can start afterwards
    reloaded.call("live_stop", {"job": job["id"]})


def test_a_silent_publisher_is_ended_by_the_server(room):
    server, job, people, peer = room
    publisher = peer("freelancer")
    watcher = peer("client")
    assert publisher.call("live_start", {"job": job["id"]})["ok"]
    assert publisher.call("live_heartbeat", {"job": job["id"]}) == {"ok": True, "publishing": True}
    publisher.close()  # and it never comes back
    assert watcher.wait_for(lambda: any(e["type"] == "session.ended" for e in watcher.events), timeout=10)
    ended = next(e for e in watcher.events if e["type"] == "session.ended")
    assert ended["data"]["reason"] == "no_heartbeat" and ended["actor"] is None
    assert 0 <= ended["data"]["duration_seconds"] <= 4  # ends at the last sign of life, not when noticed (2 s later)
    assert server.api("GET", f"/jobs/{job['id']}/live", people["client"], status=200).json()["session"] is None


def test_only_one_session_and_only_the_publisher_heartbeats(room):
    server, job, people, peer = room
    first, second = peer("freelancer"), peer("freelancer")
    assert first.call("live_start", {"job": job["id"]})["ok"]
    assert second.call("live_start", {"job": job["id"]})["error"]["code"] == "already_live"
    assert second.call("live_heartbeat", {"job": job["id"]}) == {"ok": True, "publishing": False}
    assert second.call("live_resume", {"job": job["id"]})["ok"]  # the second tab takes over
    assert first.call("live_heartbeat", {"job": job["id"]}) == {"ok": True, "publishing": False}
    second.call("live_stop", {"job": job["id"]})


def test_snapshots_follow_the_setting_and_can_be_deleted_in_the_grace_period(room):
    import io

    import requests
    from PIL import Image

    server, job, people, peer = room
    f = people["freelancer"]
    publisher = peer("freelancer")
    session = publisher.call("live_start", {"job": job["id"]})["session"]
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), (10, 120, 200)).save(buf, "JPEG")

    def snap(who):
        return requests.post(f"{server.url}/api/v1/jobs/{job['id']}/sessions/{session['id']}/snapshots",
                             headers={"Authorization": f"Bearer {who['token']}"},
                             files={"file": ("s.jpg", buf.getvalue(), "image/jpeg")}, timeout=10)

    assert snap(people["client"]).status_code == 403
    shot = snap(f)
    assert shot.status_code == 201 and shot.json()["snapshot"]["thumb_url"]
    diary = server.api("GET", f"/jobs/{job['id']}/diary", people["client"], status=200).json()
    assert diary["days"][0]["sessions"][0]["snapshots"][0]["id"] == shot.json()["snapshot"]["id"]
    assert server.api("DELETE", f"/snapshots/{shot.json()['snapshot']['id']}", people["client"]).status_code == 403
    server.api("DELETE", f"/snapshots/{shot.json()['snapshot']['id']}", f, status=200)
    url = shot.json()["snapshot"]["url"]
    assert requests.get(server.url + url, headers={"Authorization": f"Bearer {f['token']}"}, timeout=10).status_code == 404
    server.api("PUT", f"/jobs/{job['id']}/diary/settings", f, {"snapshot_seconds": 0}, status=200)
    assert snap(f).status_code == 409
    assert server.api("PUT", f"/jobs/{job['id']}/diary/settings", f, {"snapshot_seconds": 2}).status_code == 422
    publisher.call("live_stop", {"job": job["id"]})
    events = server.api("GET", f"/jobs/{job['id']}/events", f, status=200).json()["events"]
    types = [e["type"] for e in events]
    assert "snapshot.deleted" in types and "diary.settings_changed" in types
    csv_text = requests.get(f"{server.url}/jobs/{job['id']}/diary/export.csv", timeout=10,
                            headers={"Authorization": f"Bearer {f['token']}"}).text
    assert csv_text.splitlines()[0].startswith("date,started_at,ended_at,minutes")
    assert len(csv_text.splitlines()) == 2
