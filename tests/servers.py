"""Real server processes for browser and realtime tests: `python wsgi.py` on eventlet, free port, fresh DB."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One `wsgi.py` process. Several may share a database (and Redis) to act as workers."""

    def __init__(self, database_url: str, instance: Path, *, redis_url: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.instance = instance
        self.log_path = instance / f"server-{self.port}.log"
        self.env = {
            **os.environ, "PORT": str(self.port), "DATABASE_URL": database_url,
            "SECRET_KEY": "live-test-secret", "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_PARALLELISM": "1", "WORKSPACE_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1",
            "HEAD_INTERVAL": "1", "SIGNUP_LIMIT_PER_ADDRESS": "100000/3600", "LOGIN_LIMIT_PER_ADDRESS": "100000/900", "SOCKET_RATE_LIMITS": '{"message": [2000, 10]}',
            **({"REDIS_URL": redis_url} if redis_url else {}), **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "LiveServer":
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=self.env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                if requests.get(self.url + "/login", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if hasattr(self, "_log"):
            self._log.close()

    def kill(self) -> None:
        """Hard kill (SIGKILL): a worker dying mid-stream."""
        if self.process:
            self.process.kill()
            self.process.wait(5)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def app_tracebacks(self) -> list[str]:
        """Tracebacks in the server's log that pass through our code (a bug, whatever the client saw)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        blocks = text.split("Traceback (most recent call last):")[1:]
        return [b[:2000] for b in blocks if "/workspace/" in b.split("\n\n")[0]]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def signup(self, label: str, password: str = "correct horse battery") -> dict[str, Any]:
        """An account and an API token, made over real HTTP."""
        email = f"{label}-{time.monotonic_ns()}@example.test"
        r = requests.post(self.url + "/api/v1/signup", json={"email": email, "password": password,
                                                               "name": label.title()}, timeout=10)
        assert r.status_code == 201, r.text
        body = r.json()
        return {**body["user"], "token": body["token"], "password": password}

    def api(self, method: str, path: str, who: dict[str, Any] | None = None, json: Any = None,
            status: int | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if who is not None:
            headers["Authorization"] = f"Bearer {who['token']}"
        r = requests.request(method, self.url + "/api/v1" + path, json=json, headers=headers, timeout=15, **kwargs)
        if status is not None:
            assert r.status_code == status, (r.status_code, r.text)
        return r
