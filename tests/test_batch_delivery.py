"""One transaction's sends as one message between workers (realtime/control.py, broadcast.py): each
part is delivered even when another fails, and with Redis the batch reaches the other workers before
this worker's delivery of it can start (and publish) anything else."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
import socketio

from workspace.realtime.control import BATCH_EVENT, CONTROL_EVENT, ControlManager, ControlRedisManager


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failing_part_does_not_hold_back_the_rest(app, people):
    from workspace.extensions import socketio as flask_socketio

    client = flask_socketio.test_client(app, auth={"token": people["client"]["token"]})
    assert client.is_connected()
    manager = flask_socketio.server.manager
    sid = next(iter(manager.rooms["/"][None]))  # the socket's own room (its sid)

    def failing(_sid, _room):
        raise RuntimeError("a leave hook that fails")

    ControlManager.leave_hooks.append(failing)
    try:
        manager.enter_room(sid, "/", "somewhere")
        client.get_received()
        manager.emit(BATCH_EVENT, [
            {"event": CONTROL_EVENT, "data": {"action": "leave", "room": "somewhere"}, "room": sid, "skip_sid": None},
            {"event": "notification", "data": {"n": 1}, "room": sid, "skip_sid": None},
        ], "/", room=BATCH_EVENT)
        assert [m["args"][0] for m in client.get_received() if m["name"] == "notification"] == [{"n": 1}]
    finally:
        ControlManager.leave_hooks.remove(failing)
        client.disconnect()


def test_with_redis_the_batch_is_published_before_it_is_delivered_here(redis_url):
    channel = f"test-batch-{uuid.uuid4().hex[:8]}"
    manager = ControlRedisManager(redis_url, channel=channel)
    server = socketio.Server(client_manager=manager, async_mode="threading")
    listener = redis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel)
    nested = {"published": False}

    def nested_write(_sid, _room):  # what a delivery's handler committing a transaction would publish
        manager.emit("event", {"seq": 2}, "/", room="job:x")
        nested["published"] = True

    ControlManager.leave_hooks.append(nested_write)
    try:
        sid = manager.connect("eio1", "/")  # a socket of this worker, in its person's room
        manager.enter_room(sid, "/", "user:1")
        manager.emit(BATCH_EVENT, [
            {"event": "event", "data": {"seq": 1}, "room": "job:x", "skip_sid": None},
            {"event": CONTROL_EVENT, "data": {"action": "leave", "room": "job:x"}, "room": "user:1", "skip_sid": None},
        ], "/", room=BATCH_EVENT)
        assert nested["published"]
        seen, deadline = [], time.monotonic() + 2
        while len(seen) < 2 and time.monotonic() < deadline:
            message = listener.get_message(timeout=0.1)
            if message is not None:
                seen.append(json.loads(message["data"])["event"])
        assert seen == [BATCH_EVENT, "event"]
    finally:
        ControlManager.leave_hooks.remove(nested_write)
        listener.close()
        del server
