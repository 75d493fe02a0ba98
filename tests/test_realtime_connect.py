"""The Socket.IO gate on a real eventlet server: who may connect, and logout cutting sockets."""
from __future__ import annotations

import re
import time

import pytest
import requests
import socketio

pytestmark = pytest.mark.realtime


def browser_session(server, who) -> requests.Session:
    """A requests session logged in through the real login form (cookie + CSRF)."""
    s = requests.Session()
    page = s.get(server.url + "/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    r = s.post(server.url + "/login", data={"csrf_token": token, "email": who["email"],
                                            "password": who["password"]}, allow_redirects=False)
    assert r.status_code == 302, r.text
    return s


def cookie_header(s: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def connect(server, **kwargs) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.connect(server.url, transports=["websocket"], wait_timeout=5, **kwargs)
    return client


def test_anonymous_and_bad_token_are_refused(live_server):
    for kwargs in ({}, {"auth": {"token": "ws_nope"}}, {"auth": "junk"}):
        with pytest.raises(socketio.exceptions.ConnectionError):
            connect(live_server, **kwargs)
    assert live_server.alive()


def test_token_and_cookie_connect(live_server):
    who = live_server.signup("scripted")
    client = connect(live_server, auth={"token": who["token"]})
    assert client.connected
    client.disconnect()
    s = browser_session(live_server, who)
    client = connect(live_server, headers={"Cookie": cookie_header(s)})
    assert client.connected
    client.disconnect()


def test_hostile_origin_is_refused(live_server):
    """A raw Engine.IO WebSocket handshake: another site's Origin is refused, our own accepted."""
    import websocket

    ws_url = live_server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws_url, origin="http://evil.example", timeout=5)
    ws = websocket.create_connection(ws_url, origin=live_server.url, timeout=5)
    assert ws.recv().startswith("0{")  # Engine.IO open packet
    ws.close()


def test_logout_disconnects_that_browsers_sockets(live_server):
    who = live_server.signup("leaver")
    s = browser_session(live_server, who)
    cut = connect(live_server, headers={"Cookie": cookie_header(s)})
    other = connect(live_server, auth={"token": who["token"]})  # a script of the same user stays
    page = s.get(live_server.url + "/jobs").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert s.post(live_server.url + "/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    deadline = time.monotonic() + 5
    while cut.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cut.connected
    assert other.connected
    other.disconnect()
    # The old cookie cannot open a new socket either.
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server, headers={"Cookie": cookie_header(s)})


def test_threading_fallback_serves_the_room(tmp_path, sqlite_template):
    """SOCKETIO_ASYNC_MODE=threading (the tested fallback if eventlet must go): join and message work."""
    import shutil

    from tests.servers import LiveServer
    from tests.sockets import Watcher, job_with_people

    shutil.copy(sqlite_template, tmp_path / "t.db")
    server = LiveServer(f"sqlite:///{tmp_path / 't.db'}", tmp_path, env={"SOCKETIO_ASYNC_MODE": "threading"}).start()
    try:
        job, people = job_with_people(server)
        a, b = Watcher(server, people["client"]).connect(), Watcher(server, people["freelancer"]).connect()
        assert a.join(job["id"])["ok"] and b.join(job["id"])["ok"]
        assert b.call("message", {"job": job["id"], "body": "threads"})["ok"]
        assert a.wait_for(lambda: a.events[-1]["type"] == "message.posted")
        a.close()
        b.close()
        assert "(threading)" in server.log()
    finally:
        server.stop()


def test_every_app_gets_the_socket_gate(tmp_path, sqlite_template):
    """Handlers bind to each app's Socket.IO server, not only the first one made in a process."""
    import shutil

    from tests.conftest import make_test_app
    from workspace.extensions import socketio as sio

    for n in range(2):
        shutil.copy(sqlite_template, tmp_path / f"{n}.db")
        app = make_test_app(f"sqlite:///{tmp_path / f'{n}.db'}", tmp_path)
        anonymous = sio.test_client(app)
        assert not anonymous.is_connected()


def test_websocket_compression_is_refused(live_server):
    """Browsers offer permessage-deflate; the server must not accept it (memory and CPU per socket)."""
    import websocket

    ws_url = live_server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(ws_url, origin=live_server.url, timeout=5,
                                     header=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"])
    try:
        assert "sec-websocket-extensions" not in {k.lower() for k in ws.getheaders()}
        assert ws.recv().startswith("0{")
    finally:
        ws.close()


def test_join_ack_includes_who_is_here(live_server):
    from tests.sockets import Watcher, job_with_people

    job, people = job_with_people(live_server)
    a = Watcher(live_server, people["client"]).connect()
    try:
        ack = a.join(job["id"])
        assert [p["name"] for p in ack["watching"]] == ["Client"]
    finally:
        a.close()
