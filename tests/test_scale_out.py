"""The scale-out setup for real: PostgreSQL, Redis as the Socket.IO message queue, two worker processes."""
from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from tests.servers import LiveServer
from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime




@pytest.fixture(scope="module")
def workers(postgres_url, redis_url, tmp_path_factory):
    """Two workers sharing PostgreSQL and a Redis channel of their own (so parallel runs do not mix)."""
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_url)
    directory = tmp_path_factory.mktemp("scale")
    env = {"REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}"}
    servers = [LiveServer(postgres_url, directory, redis_url=redis_url, env=env).start() for _ in range(2)]
    yield servers
    for s in servers:
        s.stop()


def test_events_fan_out_across_workers(workers):
    a, b = workers
    job, people = job_with_people(a)
    on_a, on_b = Watcher(a, people["client"]).connect(), Watcher(b, people["viewer"]).connect()
    try:
        assert on_a.join(job["id"])["ok"] and on_b.join(job["id"])["ok"]
        for n, server in enumerate((a, b, a, b)):
            server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"m{n}"}, status=201)
        for w in (on_a, on_b):
            assert w.wait_for(lambda w=w: len(w.seqs(job["id"])) == 3 + 4)
            assert w.seqs(job["id"]) == list(range(1, 8))
        # Presence is shared: a watcher on worker A sees the one on worker B.
        assert on_a.wait_for(lambda: on_a.signals["presence"] and
                             {p["name"] for p in on_a.signals["presence"][-1]["watching"]} == {"Client", "Viewer"})
    finally:
        on_a.close()
        on_b.close()


def test_a_room_in_view_is_not_notified_on_any_worker(workers):
    """The notification push skips sockets whose room is in view, on the worker that holds them (the
    skip travels through Redis as a room name). Control: the same person's socket not in the room is told."""
    a, b = workers
    job, people = job_with_people(a)
    in_view, elsewhere = Watcher(b, people["client"]).connect(), Watcher(b, people["client"]).connect()
    try:
        assert in_view.join(job["id"])["ok"]
        seq = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "hi"}, status=201).json()["event"]["seq"]
        assert elsewhere.wait_for(lambda: [n["notification"]["seq"] for n in elsewhere.signals["notification"]] == [seq])
        assert in_view.wait_for(lambda: seq in in_view.seqs(job["id"]))
        time.sleep(0.3)  # the push to both went out in one emit: nothing more is coming
        assert in_view.signals["notification"] == []
    finally:
        in_view.close()
        elsewhere.close()


def test_one_transactions_sends_travel_between_workers_as_one_message(workers, redis_url):
    """A posted message's event and its notifications reach the other worker as one Redis message
    (each worker decodes every message on the channel), and are delivered there in order."""
    import json

    import redis

    a, b = workers
    job, people = job_with_people(a)
    away, watching = Watcher(b, people["client"]).connect(), Watcher(b, people["viewer"]).connect()
    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    try:
        assert watching.join(job["id"])["ok"]
        time.sleep(1.0)  # the join's presence broadcast has gone out
        listener.subscribe(a.env["REDIS_NAMESPACE"])
        seq = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": "hi"},
                    status=201).json()["event"]["seq"]
        assert away.wait_for(lambda: [n["notification"]["seq"] for n in away.signals["notification"]] == [seq])
        assert watching.wait_for(lambda: seq in watching.seqs(job["id"]))
        time.sleep(0.3)
        messages, deadline = [], time.monotonic() + 0.5
        while time.monotonic() < deadline:  # (None also stands for the subscription's confirmation)
            if (message := listener.get_message(timeout=0.1)) is not None:
                messages.append(json.loads(message["data"]))
        assert len(messages) == 1, messages
        parts = messages[0]["data"][0]
        assert [(p["event"], p["room"]) for p in parts] == [
            ("event", f"job:{job['id']}"), ("notification", f"user:{people['client']['id']}"),
            ("notification", f"user:{people['viewer']['id']}")]
    finally:
        listener.close()
        away.close()
        watching.close()


def test_logout_on_one_worker_cuts_sockets_on_the_other(workers):
    a, b = workers
    who = a.signup("leaver")
    s = requests.Session()
    token = re.search(r'name="csrf-token" content="([^"]+)"', s.get(a.url + "/login").text).group(1)
    s.post(a.url + "/login", data={"csrf_token": token, "email": who["email"], "password": who["password"]})
    import socketio

    sock = socketio.Client(reconnection=False)
    sock.connect(b.url, transports=["websocket"], headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in s.cookies)})
    assert sock.connected
    token = re.search(r'name="csrf-token" content="([^"]+)"', s.get(a.url + "/jobs").text).group(1)
    s.post(a.url + "/logout", data={"csrf_token": token})
    deadline = time.monotonic() + 5
    while sock.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sock.connected


def test_removal_on_one_worker_unrooms_on_the_other(workers):
    a, b = workers
    job, people = job_with_people(a)
    viewer = Watcher(b, people["viewer"]).connect()
    try:
        assert viewer.join(job["id"])["ok"]
        a.api("DELETE", f"/jobs/{job['id']}/members/{people['viewer']['id']}", people["freelancer"], status=200)
        assert viewer.wait_for(lambda: viewer.events[-1]["type"] == "member.removed")
        seen = len(viewer.events)
        a.api("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "after removal"}, status=201)
        time.sleep(0.5)
        assert len(viewer.events) == seen
        for worker in (a, b):  # the control message was handled cleanly in Redis's listener thread
            assert "Handler error" not in worker.log() and "Traceback" not in worker.log()
    finally:
        viewer.close()


def test_rate_limits_bite_across_workers(workers):
    a, b = workers
    job, people = job_with_people(a)
    on_a, on_b = Watcher(a, people["client"]).connect(), Watcher(b, people["client"]).connect()
    try:
        acks = []
        while len(acks) < 70 and (not acks or acks[-1]["ok"]):
            acks.append((on_a if len(acks) % 2 else on_b).call("typing", {"job": job["id"]}))
        # 30 per 10 s, counted in Redis for both workers (a fixed window may roll over once meanwhile).
        assert 30 <= len(acks) - 1 < 60 and acks[-1]["error"]["code"] == "rate_limited"
    finally:
        on_a.close()
        on_b.close()


def test_a_killed_worker_loses_nothing_after_resume(postgres_url, redis_url, tmp_path):
    """SIGKILL the worker a watcher is on while messages flow; the watcher resumes on the other
    worker from its last seq and has every event, in order. The control (no resume) misses some."""
    import threading

    namespace = {"REDIS_NAMESPACE": f"test-{uuid.uuid4().hex[:8]}"}
    a = LiveServer(postgres_url, tmp_path, redis_url=redis_url, env=namespace).start()
    b = LiveServer(postgres_url, tmp_path, redis_url=redis_url, env=namespace).start()
    try:
        job, people = job_with_people(a)
        watcher = Watcher(b, people["client"]).connect()
        assert watcher.join(job["id"])["ok"]
        stop = threading.Event()
        sent = []

        def send() -> None:
            n = 0
            while not stop.is_set():
                r = a.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"m{n}"})
                if r.status_code == 201:
                    sent.append(r.json()["event"]["seq"])
                n += 1
                time.sleep(0.01)

        sender = threading.Thread(target=send)
        sender.start()
        assert watcher.wait_for(lambda: len(watcher.seqs(job["id"])) > 3 + 10)
        b.kill()  # the worker dies mid-stream
        time.sleep(0.5)
        live_only = watcher.seqs(job["id"])
        stop.set()
        sender.join()
        last = sent[-1]
        assert live_only[-1] < last, "control: without resuming, the events after the crash are missing"
        again = Watcher(a, people["client"]).connect()
        after, resumed = live_only[-1], []
        while True:
            ack = again.call("join", {"job": job["id"], "after": after})
            resumed += ack["events"]
            if not ack["more"]:
                break
            after = ack["events"][-1]["seq"]
        assert live_only + [e["seq"] for e in resumed] == list(range(1, last + 1))
        again.close()
    finally:
        a.stop()
        b.stop()
