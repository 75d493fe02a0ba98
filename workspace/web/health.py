"""Probes for a process supervisor or load balancer: /healthz says the process answers; /readyz says
it can do its work (the database answers and, when configured, the message queue); /metrics is the
Prometheus exposition (workspace/metrics.py), for scrapers on this machine only. No login, no
cookies, no rate limit: they are polled."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import text

from workspace.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"ok": True})


@bp.get("/metrics")
def metrics_text() -> Any:
    """Only from this machine (directly, or through the local nginx, which passes the client's
    address on): worker figures are for the operator, not the public."""
    if request.remote_addr not in LOOPBACK:
        abort(404)
    from workspace import metrics

    body, content_type = metrics.render()
    return Response(body, content_type=content_type)


LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/readyz")
def readyz() -> Any:
    checks = {"database": _database(), "queue": _queue()}
    ready = all(state in ("ok", "not used") for state in checks.values())
    response = jsonify({"ok": ready, **checks})
    if not ready:
        response.status_code = 503
        response.headers["Retry-After"] = "5"
    return response


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said as its class
        db.session.rollback()
        return f"unavailable ({exc.__class__.__name__})"
    finally:
        db.session.remove()


def _queue() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not used"
    try:
        _client(url).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc.__class__.__name__})"


_CLIENTS: dict[str, Any] = {}


def _client(url: str) -> Any:
    """One Redis client per URL for the probe (a poll every few seconds must not open a connection each)."""
    if url not in _CLIENTS:
        import redis

        _CLIENTS[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _CLIENTS[url]
