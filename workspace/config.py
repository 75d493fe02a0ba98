"""Configuration: defaults (the embedded setup) <- instance file <- environment <- test_config."""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any, Callable

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Storage and fan-out. None means the embedded setup: SQLite in the instance folder, one process.
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "REDIS_NAMESPACE": "workspace",  # Socket.IO channel and key prefix: one per deployment sharing a Redis
    "SOCKETIO_ASYNC_MODE": "eventlet",
    # None = same origin only (python-engineio's default check); a list allows exactly those.
    "CORS_ALLOWED_ORIGINS": None,
    # Sessions and CSRF.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # also set per request when served over HTTPS
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in web/security.py, which exempts Bearer requests
    "WTF_CSRF_TIME_LIMIT": None,  # a room page stays open for hours; the token lives with the session
    "PROXY_COUNT": 0,  # trust X-Forwarded-* only from this many proxies
    # Request limits.
    "MAX_CONTENT_LENGTH": 26 * 1024 * 1024,  # uploads; JSON bodies have their own cap
    "MAX_JSON_BYTES": 256 * 1024,
    # Accounts.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    "ARGON2_PARALLELISM": 2,
    "HASH_CONCURRENCY": 4,
    "LOGIN_LIMIT_PER_ACCOUNT": (10, 15 * 60),  # failures per (account, address) per window (seconds)
    "LOGIN_LIMIT_PER_ADDRESS": (50, 15 * 60),
    "SIGNUP_LIMIT_PER_ADDRESS": (20, 60 * 60),
    "EMAIL_CHANGE_LIMIT_PER_ACCOUNT": (10, 60 * 60),  # new addresses tried per account per window
    # Jobs.
    "INVITE_TTL_DAYS": 7,
    "EVENT_PAGE_MAX": 500,
    # Room.
    "HEAD_INTERVAL": 5,  # seconds between `head` signals
    "AUTO_APPROVE_INTERVAL": 60,  # seconds between background auto-approval rounds
    "UPLOAD_DIR": None,  # default: <instance>/uploads
    "ATTACHMENT_MAX_BYTES": 25 * 1024 * 1024,
    "SOCKET_MAX_MESSAGE_BYTES": 1_000_000,
    "PRESENCE_COALESCE": 0.5,  # seconds: presence changes in one room are sent together
    "MAX_SOCKETS_PER_USER": 20,  # per worker process; the next connection is refused with a reason
    # A socket that stops reading is closed once this much waits for it (realtime/send_queue.py; 0: no cap).
    "SOCKET_SEND_QUEUE_BYTES": 1 << 20,
    "SOCKET_SEND_QUEUE_PACKETS": 2000,
    # permessage-deflate costs ~4x memory per connection and CPU per delivery (bench/README.md);
    # browsers always offer it, so it is refused unless turned on here.
    "WEBSOCKET_COMPRESSION": False,
    # Live sessions.
    "ICE_SERVERS": [],  # e.g. [{"urls": "turn:turn.example:3478", "username": "...", "credential": "..."}]
    "LIVE_HEARTBEAT_TIMEOUT": 60,  # seconds without a publisher heartbeat before the server ends a session
    "SNAPSHOT_DELETE_GRACE_MINUTES": 10,
    "SNAPSHOT_MAX_BYTES": 5 * 1024 * 1024,
    # Email. No SMTP_URL (the embedded default): each email is written to MAIL_DIR as an .eml file.
    "SMTP_URL": None,  # smtp://host:port | smtp+starttls://user:pass@host:587 | smtps://user:pass@host:465
    "MAIL_FROM": "Workspace <workspace@localhost>",
    "MAIL_REPLY_DOMAIN": None,  # domain of reply+<token>@ addresses; default: MAIL_FROM's domain
    "MAIL_DIR": None,  # default: <instance>/mail
    "PUBLIC_URL": None,  # base of every link in an email; default: http://HOST:PORT of wsgi.py
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_BASE": 30,  # seconds; doubles per failed attempt, capped at an hour
    # Notifications: emailed only if still unread this many seconds later; digests at this UTC hour.
    "NOTIFY_EMAIL_DELAY": 600,
    "DIGEST_HOUR_UTC": 7,
    "REVIEW_WARNING_HOURS": 48,  # clients are warned this long before auto-approval (or the whole window)
    # Scheduled work (auto-approval, reminders, digests, sending) runs in one process at a time.
    "SCHEDULER_INTERVAL": 30,
    "MAIL_POLL_INTERVAL": 5,
    "PASSWORD_RESET_TTL": 3600,
}



def _rate(value: str) -> tuple[int, int]:
    """'10/900' -> (10 attempts, per 900 seconds)."""
    count, window = value.split("/")
    return int(count), int(window)


# Environment variables read at start-up, with how to parse each one.
ENVIRONMENT: dict[str, Callable[[str], Any]] = {
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "REDIS_NAMESPACE": str,
    "SECRET_KEY": str,
    "SIGNING_KEY": str,
    "SOCKETIO_ASYNC_MODE": str,
    "CORS_ALLOWED_ORIGINS": lambda v: [o.strip() for o in v.split(",") if o.strip()],
    "SESSION_COOKIE_SECURE": lambda v: v.lower() in ("1", "true", "yes"),
    "PROXY_COUNT": int,
    "MAX_CONTENT_LENGTH": int,
    "INVITE_TTL_DAYS": int,
    "UPLOAD_DIR": str,
    "ATTACHMENT_MAX_BYTES": int,
    "HEAD_INTERVAL": float,
    "MAX_SOCKETS_PER_USER": int,
    "SOCKET_SEND_QUEUE_BYTES": int,
    "SOCKET_SEND_QUEUE_PACKETS": int,
    "WEBSOCKET_COMPRESSION": lambda v: v.lower() in ("1", "true", "yes"),
    "AUTO_APPROVE_INTERVAL": float,
    "ICE_SERVERS": json.loads,
    "LIVE_HEARTBEAT_TIMEOUT": float,
    "SNAPSHOT_DELETE_GRACE_MINUTES": float,
    "LOGIN_LIMIT_PER_ACCOUNT": _rate,
    "LOGIN_LIMIT_PER_ADDRESS": _rate,
    "SIGNUP_LIMIT_PER_ADDRESS": _rate,
    "EMAIL_CHANGE_LIMIT_PER_ACCOUNT": _rate,
    "SOCKET_RATE_LIMITS": lambda v: {k: tuple(x) for k, x in json.loads(v).items()},
    "ARGON2_TIME_COST": int,
    "ARGON2_MEMORY_KIB": int,
    "ARGON2_PARALLELISM": int,
    "SMTP_URL": str,
    "MAIL_FROM": str,
    "MAIL_REPLY_DOMAIN": str,
    "MAIL_DIR": str,
    "PUBLIC_URL": str,
    "NOTIFY_EMAIL_DELAY": float,
    "DIGEST_HOUR_UTC": int,
    "REVIEW_WARNING_HOURS": float,
    "SCHEDULER_INTERVAL": float,
    "MAIL_POLL_INTERVAL": float,
    "MAIL_RETRY_BASE": float,
    "MAIL_MAX_ATTEMPTS": int,
}


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from every layer, then make sure a secret key exists."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for name, parse in ENVIRONMENT.items():
        raw = os.environ.get(name)
        if raw not in (None, ""):
            app.config[name] = parse(raw)
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "workspace.db")
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    if not app.config.get("PUBLIC_URL"):
        host = os.environ.get("HOST") or "127.0.0.1"
        app.config["PUBLIC_URL"] = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{os.environ.get('PORT') or 5000}"
    if not app.config.get("MAIL_DIR"):
        app.config["MAIL_DIR"] = str(Path(app.instance_path) / "mail")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if not app.config.get("SIGNING_KEY"):  # Ed25519 seed for signed checkpoints (32 bytes, base64url)
        app.config["SIGNING_KEY"] = _instance_secret(
            Path(app.instance_path) / "signing_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def _instance_secret(path: Path, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """Read an instance secret, creating it once (never a constant in the code)."""
    if path.exists():
        return path.read_text().strip()
    key = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
