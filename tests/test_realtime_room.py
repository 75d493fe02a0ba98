"""The live room over real sockets: order, lossless resume, gap-free seqs, and who may do what."""
from __future__ import annotations

import threading
import time

import pytest

from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


@pytest.fixture
def room(shared_server):
    job, people = job_with_people(shared_server)
    opened: list[Watcher] = []

    def watcher(role: str) -> Watcher:
        w = Watcher(shared_server, people[role]).connect()
        opened.append(w)
        return w

    yield shared_server, job, people, watcher
    for w in opened:
        w.close()


def test_two_watchers_get_the_same_events_in_the_same_order(room):
    server, job, people, watcher = room
    a, b = watcher("client"), watcher("viewer")
    sender = watcher("freelancer")
    for w in (a, b, sender):
        assert w.join(job["id"])["ok"]
    for n in range(30):
        ack = sender.call("message", {"job": job["id"], "body": f"message {n}"})
        assert ack["ok"], ack
    last = ack["event"]["seq"]
    for w in (a, b):
        assert w.wait_for(lambda w=w: w.seqs(job["id"])[-1:] == [last])
    assert a.seqs(job["id"]) == b.seqs(job["id"]) == list(range(1, last + 1))
    assert [e["data"] for e in a.events] == [e["data"] for e in b.events]


def test_a_watcher_that_misses_100_events_gets_exactly_those_on_rejoin(room):
    server, job, people, watcher = room
    sender = watcher("freelancer")
    gone = watcher("client")
    assert gone.join(job["id"])["ok"]
    seen_before = gone.seqs(job["id"])[-1]
    gone.close()
    for n in range(100):
        assert sender.call("message", {"job": job["id"], "body": f"while away {n}"})["ok"]
    back = watcher("client")
    missed, after = [], seen_before
    while True:  # page through like the browser does
        ack = back.call("join", {"job": job["id"], "after": after})
        missed += ack["events"]
        if not ack["more"]:
            break
        after = ack["events"][-1]["seq"]
    assert [e["seq"] for e in missed] == list(range(seen_before + 1, seen_before + 101))
    assert [e["data"]["message"]["body"] for e in missed] == [f"while away {n}" for n in range(100)]


def test_join_pages_are_bounded(room):
    server, job, people, watcher = room
    sender = watcher("freelancer")
    for n in range(120):
        server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": f"{n}"}, status=201)
    ack = sender.call("join", {"job": job["id"], "after": 0})
    assert ack["ok"] and len(ack["events"]) <= 500 and ack["last_seq"] == 123 and ack["more"] is False


def test_concurrent_senders_get_gap_free_seqs(room):
    server, job, people, watcher = room
    observer = watcher("viewer")
    assert observer.join(job["id"])["ok"]
    senders = [watcher("freelancer"), watcher("client"), watcher("freelancer"), watcher("client")]
    failures = []

    def send(w: Watcher, tag: int) -> None:
        for n in range(15):
            ack = w.call("message", {"job": job["id"], "body": f"{tag}-{n}"})
            if not ack.get("ok"):
                failures.append(ack)

    threads = [threading.Thread(target=send, args=(w, i)) for i, w in enumerate(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert observer.wait_for(lambda: len(observer.seqs(job["id"])) == 3 + 60)
    assert observer.seqs(job["id"]) == list(range(1, 64))


def test_events_published_only_after_commit_are_fetchable(room):
    server, job, people, watcher = room
    w = watcher("client")
    w.join(job["id"])
    server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "over http"}, status=201)
    assert w.wait_for(lambda: len(w.events) == 4)
    live = w.events[-1]
    fetched = server.api("GET", f"/jobs/{job['id']}/events?after=3", people["client"], status=200).json()["events"]
    assert fetched == [live]


def test_outsider_and_anonymous_are_refused_everywhere(room):
    server, job, people, watcher = room
    member = watcher("client")
    member.join(job["id"])
    outsider = watcher("outsider")
    actions = {
        "join": {"job": job["id"], "after": 0}, "leave": {"job": job["id"]},
        "message": {"job": job["id"], "body": "hi"}, "edit_message": {"job": job["id"], "id": 1, "body": "x"},
        "delete_message": {"job": job["id"], "id": 1}, "progress": {"job": job["id"], "percent": 10},
        "typing": {"job": job["id"]}, "read": {"job": job["id"], "seq": 1},
    }
    for name, payload in actions.items():
        ack = outsider.call(name, payload)
        if name == "leave":
            assert ack["ok"]  # leaving a room you are not in is a no-op
            continue
        assert ack == {"ok": False, "error": {"code": "not_found", "message": ack["error"]["message"]}}, name
    time.sleep(0.3)
    assert outsider.events == []  # and it never received anything of the room
    import socketio

    with pytest.raises(socketio.exceptions.ConnectionError):
        socketio.Client(reconnection=False).connect(server.url, transports=["websocket"], wait_timeout=5)


def test_viewers_cannot_post_but_can_read(room):
    server, job, people, watcher = room
    viewer = watcher("viewer")
    assert viewer.join(job["id"])["ok"]
    assert viewer.call("message", {"job": job["id"], "body": "hi"})["error"]["code"] == "forbidden"
    assert viewer.call("progress", {"job": job["id"], "percent": 5})["error"]["code"] == "forbidden"
    assert viewer.call("read", {"job": job["id"], "seq": 3})["ok"]


@pytest.mark.parametrize("payload", [
    None, "text", 5, [], {}, {"job": 5}, {"job": "x" * 10_000}, {"job": None, "body": "x"},
    {"job": "JOB", "body": 5}, {"job": "JOB", "body": ["a"]}, {"job": "JOB", "reply_to": "1", "body": "x"},
    {"job": "JOB", "attachments": "abc", "body": "x"}, {"job": "JOB", "attachments": [1, 2], "body": "x"},
    {"job": "JOB", "body": "x", "client_ref": "r" * 65}, {"job": "JOB", "body": "x" * 10_001},
])
def test_malformed_message_payloads_get_error_acks(room, payload):
    server, job, people, watcher = room
    w = watcher("client")
    if isinstance(payload, dict):
        payload = {k: (job["id"] if v == "JOB" else v) for k, v in payload.items()}
    ack = w.call("message", payload)
    assert ack["ok"] is False and ack["error"]["code"] in {"invalid", "not_found"}, ack
    assert w.call("join", {"job": job["id"]})["ok"]  # the same socket keeps working


@pytest.mark.parametrize("name,payload", [
    ("join", {"job": "JOB", "after": -1}), ("join", {"job": "JOB", "after": "3"}), ("join", {"job": "JOB", "after": True}),
    ("progress", {"job": "JOB", "percent": 101}), ("progress", {"job": "JOB", "percent": "10"}),
    ("progress", {"job": "JOB", "percent": 10, "milestone_id": 99999}),
    ("read", {"job": "JOB", "seq": -5}), ("edit_message", {"job": "JOB", "id": "1", "body": "x"}),
    ("delete_message", {"job": "JOB", "id": 424242}), ("typing", {}),
])
def test_malformed_payloads_on_every_action(room, name, payload):
    server, job, people, watcher = room
    w = watcher("freelancer")
    payload = {k: (job["id"] if v == "JOB" else v) for k, v in payload.items()}
    ack = w.call(name, payload)
    assert ack["ok"] is False and ack["error"]["code"] in {"invalid", "not_found", "forbidden"}, ack


def test_a_2mb_frame_closes_that_connection_and_the_server_keeps_serving(room):
    server, job, people, watcher = room
    w = watcher("client")
    try:
        w.client.emit("message", {"job": job["id"], "body": "x" * (2 * 1024 * 1024)})
    except Exception:  # noqa: BLE001 - the transport may already be closing
        pass
    assert w.wait_for(lambda: not w.client.connected, timeout=10)
    fresh = watcher("client")
    assert fresh.join(job["id"])["ok"]
    assert server.alive()


def test_removed_member_stops_receiving_at_once(room):
    server, job, people, watcher = room
    viewer = watcher("viewer")
    assert viewer.join(job["id"])["ok"]
    server.api("DELETE", f"/jobs/{job['id']}/members/{people['viewer']['id']}", people["freelancer"], status=200)
    assert viewer.wait_for(lambda: viewer.events and viewer.events[-1]["type"] == "member.removed")
    count = len(viewer.events)
    server.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "secret"}, status=201)
    time.sleep(0.5)
    assert len(viewer.events) == count
    assert viewer.call("join", {"job": job["id"]})["error"]["code"] == "not_found"


def test_revoked_token_disconnects_its_sockets(room):
    server, job, people, watcher = room
    w = watcher("client")
    token_id = server.api("GET", "/tokens", people["client"], status=200).json()["tokens"][0]["id"]
    server.api("DELETE", f"/tokens/{token_id}", people["client"], status=204)
    assert w.wait_for(lambda: not w.client.connected, timeout=5)


def test_head_tells_a_watcher_the_last_seq(room):
    server, job, people, watcher = room
    w = watcher("client")
    w.join(job["id"])
    assert w.wait_for(lambda: any(h == {"job": job["id"], "last_seq": 3} for h in w.signals["head"]), timeout=5)


def test_a_quiet_room_is_not_sent_the_same_head_and_presence_again(room):
    """Heads and presence go out when they change (HEAD_INTERVAL is 1 s here), not every tick."""
    server, job, people, watcher = room
    w = watcher("client")
    w.join(job["id"])
    assert w.wait_for(lambda: any(h == {"job": job["id"], "last_seq": 3} for h in w.signals["head"]), timeout=5)
    time.sleep(1.2)  # the tick after the join may still carry the joiner's presence
    heads, presences = len(w.signals["head"]), len(w.signals["presence"])
    time.sleep(3.5)
    assert (len(w.signals["head"]), len(w.signals["presence"])) == (heads, presences)
    server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "news"}, status=201)
    assert w.wait_for(lambda: any(h == {"job": job["id"], "last_seq": 4} for h in w.signals["head"]), timeout=5)


def test_presence_counts_tabs_once_and_updates_on_leave(room):
    server, job, people, watcher = room
    f = watcher("freelancer")
    f.join(job["id"])
    tabs = [watcher("client"), watcher("client")]
    for tab in tabs:
        tab.join(job["id"])

    def names() -> list[str]:
        return [p["name"] for p in f.signals["presence"][-1]["watching"]] if f.signals["presence"] else []

    assert f.wait_for(lambda: names() == ["Freelancer", "Client"])
    tabs[0].close()
    time.sleep(0.3)
    assert names() == ["Freelancer", "Client"]  # the other tab is still there
    tabs[1].close()
    assert f.wait_for(lambda: names() == ["Freelancer"])


def test_typing_reaches_others_not_self(room):
    server, job, people, watcher = room
    f, c = watcher("freelancer"), watcher("client")
    f.join(job["id"])
    c.join(job["id"])
    assert c.call("typing", {"job": job["id"]})["ok"]
    assert f.wait_for(lambda: f.signals["typing"] == [{"job": job["id"], "user": {"id": people["client"]["id"], "name": "Client"}}])
    time.sleep(0.2)
    assert c.signals["typing"] == []


def test_read_receipts_are_broadcast(room):
    server, job, people, watcher = room
    f, c = watcher("freelancer"), watcher("client")
    f.join(job["id"])
    c.join(job["id"])
    assert c.call("read", {"job": job["id"], "seq": 3}) == {"ok": True, "last_read_seq": 3}
    assert f.wait_for(lambda: any(r["user"]["id"] == people["client"]["id"] and r["seq"] == 3 for r in f.signals["read"]))


def test_a_cursor_ahead_of_the_server_needs_a_resync(room):
    server, job, people, watcher = room
    w = watcher("client")
    ack = w.call("join", {"job": job["id"], "after": 999})
    assert ack["ok"] is False and ack["error"]["code"] == "resync_required"
    assert w.wait_for(lambda: w.signals["resync_required"] == [{"job": job["id"]}])


def test_socket_actions_are_rate_limited(room):
    server, job, people, watcher = room
    w = watcher("client")
    acks = [w.call("typing", {"job": job["id"]}) for _ in range(35)]
    assert acks[0]["ok"] and acks[-1]["error"]["code"] == "rate_limited"
