"""The bare peer for the fan-out benchmark: python-socketio on eventlet, nothing else.

No persistence, no auth, no Flask, no presence or heads: `join` enters the room, `message`
emits an `event` of the same shape as ours (a fake seq counter, and hash-chain fields of the same
length) to the room and acks it.
Run as `python bench/bare_server.py` with PORT (default 5001) and MAX_CONNECTIONS in the env.
"""
from __future__ import annotations

import os
import warnings

warnings.filterwarnings("ignore", message="\nEventlet is deprecated")

import eventlet

eventlet.monkey_patch()

import hashlib
import html
from datetime import UTC, datetime
from typing import Any

import eventlet.wsgi
import socketio

sio = socketio.Server(async_mode="eventlet", ping_interval=25, ping_timeout=20,
                      max_http_buffer_size=1_000_000)
app = socketio.WSGIApp(sio)

_seq: dict[str, int] = {}
_hash: dict[str, str] = {}
_message_id = 0


@sio.event
def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
    return True


@sio.event
def join(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    job = data["job"]
    sio.enter_room(sid, f"job:{job}")
    return {"ok": True, "events": [], "last_seq": _seq.get(job, 0), "more": False}


@sio.event
def leave(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    sio.leave_room(sid, f"job:{data['job']}")
    return {"ok": True}


@sio.event
def message(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    global _message_id
    job = data["job"]
    _seq[job] = seq = _seq.get(job, 0) + 1
    _message_id += 1
    at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = data.get("body", "")
    event = {
        "job": job, "seq": seq, "type": "message.posted", "at": at,
        "actor": {"id": 1, "name": "Bench Sender"},
        "data": {"message": {
            "id": _message_id, "author": {"id": 1, "name": "Bench Sender"}, "body": body,
            "html": f"<p>{html.escape(body)}</p>", "created_at": at, "client_ref": data.get("client_ref"),
            "edited_at": None, "deleted": False, "reply_to": None, "attachments": [],
        }},
    }
    # The same bytes as ours on the wire: the event's place in the hash chain (three SHA-256 hex digests).
    event["data_digest"] = hashlib.sha256(body.encode()).hexdigest()
    event["prev_hash"] = _hash.get(job, "0" * 64)
    event["hash"] = _hash[job] = hashlib.sha256(f"{job}:{seq}:{event['data_digest']}".encode()).hexdigest()
    sio.emit("event", event, to=f"job:{job}")
    return {"ok": True, "event": event}


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5001"))
    print(f"Serving on http://127.0.0.1:{port}", flush=True)
    # Default listen backlog and eventlet.wsgi.server, as ours.
    # TCP_NODELAY on the listener (accepted sockets inherit it on Linux), as workspace/green.py
    # serves ours since 20117b2; BENCH_NODELAY=0 turns it off (Nagle + delayed ACK: ~40 ms stalls).
    listener = eventlet.listen(("127.0.0.1", port))
    if os.environ.get("BENCH_NODELAY", "1") != "0":
        import socket

        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, app,
                         max_size=int(os.environ.get("MAX_CONNECTIONS", "20000")), log_output=False)
