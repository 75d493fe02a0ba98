"""Findings of the security review that need real sockets: someone else's token id cuts nobody off,
one account cannot hoard connections, and signalling is bounded in size and rate."""
from __future__ import annotations

import time

import pytest
import socketio

from tests.sockets import Watcher, job_with_people
from tests.test_realtime_live import Peer

pytestmark = pytest.mark.realtime


@pytest.fixture(scope="module")
def server(tmp_path_factory, sqlite_template):
    import shutil

    from tests.servers import LiveServer

    directory = tmp_path_factory.mktemp("hardening")
    shutil.copy(sqlite_template, directory / "h.db")
    s = LiveServer(f"sqlite:///{directory / 'h.db'}", directory, env={"MAX_SOCKETS_PER_USER": "3"}).start()
    yield s
    s.stop()
    assert s.app_tracebacks() == []  # refused input never reaches a traceback in our code


def test_revoking_someone_elses_token_id_is_a_404_that_cuts_nobody_off(server):
    victim, attacker = server.signup("victim"), server.signup("attacker")
    tokens = server.api("GET", "/tokens", victim, status=200).json()["tokens"]
    socket = Watcher(server, victim).connect()
    try:
        server.api("DELETE", f"/tokens/{tokens[0]['id']}", attacker, status=404)
        time.sleep(1.0)  # a queued disconnect would have landed by now
        assert socket.client.connected
        assert server.api("GET", "/me", victim).status_code == 200
        server.api("DELETE", f"/tokens/{tokens[0]['id']}", victim, status=204)
        assert socket.wait_for(lambda: not socket.client.connected, timeout=10)
    finally:
        socket.close()


def test_one_account_holds_a_bounded_number_of_sockets(server):
    person = server.signup("hoarder")
    held = [Watcher(server, person).connect() for _ in range(3)]
    try:
        extra = socketio.Client(reconnection=False)
        reasons = []
        extra.on("connect_error", reasons.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            extra.connect(server.url, auth={"token": person["token"]}, transports=["websocket"], wait_timeout=5)
        assert any("Too many open connections" in str(r) for r in reasons), reasons
        held.pop().close()  # closing one frees a place
        deadline = time.monotonic() + 5
        while True:
            try:
                held.append(Watcher(server, person).connect())
                break
            except socketio.exceptions.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        for w in held:
            w.close()


def test_signals_are_bounded_in_size_and_rate(server):
    job, people = job_with_people(server)
    publisher = Peer(server, people["freelancer"]).connect()
    watcher = Peer(server, people["viewer"]).connect()
    try:
        assert publisher.join(job["id"])["ok"] and watcher.join(job["id"])["ok"]
        assert publisher.call("live_start", {"job": job["id"]})["ok"]
        publisher_sid = publisher.call("live_watch", {"job": job["id"]})["session"]["publisher_sid"]
        big = watcher.call("signal", {"job": job["id"], "to": publisher_sid, "data": {"sdp": "x" * 40_000}})
        assert big["ok"] is False and big["error"]["code"] == "invalid"
        codes = []
        for _ in range(40):  # 40 x 30 KB = 1.2 MB in a burst: the budget (512 KB / 10 s) stops it
            ack = watcher.call("signal", {"job": job["id"], "to": publisher_sid, "data": {"sdp": "y" * 30_000}})
            codes.append("ok" if ack["ok"] else ack["error"]["code"])
        assert codes[0] == "ok" and "rate_limited" in codes and codes.count("ok") <= 2 * 512 // 30 + 1
        assert publisher.wait_for(lambda: len(publisher.signals["signal"]) == codes.count("ok"))
    finally:
        publisher.close()
        watcher.close()
