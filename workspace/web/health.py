"""Probes for a process supervisor or load balancer: /healthz says the process answers; /readyz says
it can do its work (the database answers and, when configured, the message queue). No login, no
cookies, no rate limit: they are polled."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from workspace.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"ok": True})


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
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"unavailable ({exc.__class__.__name__})"
