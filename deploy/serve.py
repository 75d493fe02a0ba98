"""The production layout on one machine: K eventlet workers behind nginx on one port.

    python deploy/serve.py            (what `make serve` runs)

- K comes from WORKERS (default: the number of cores). Several workers need PostgreSQL
  (DATABASE_URL) and Redis (REDIS_URL, Flask-SocketIO's message queue); on SQLite, or without Redis,
  it serves one worker and says why.
- nginx's configuration is rendered from deploy/nginx.conf.template into the run directory: sticky
  by client address, WebSocket upgrade, /static served by nginx with cache headers; the workers
  trust one proxy (PROXY_COUNT=1).
- SIGTERM/SIGINT stop nginx, then the workers (all at once, each draining gently); a stop that
  arrives during a reload ends the reload first. SIGHUP (`make reload`) replaces the workers one at a
  time (see `replace`), so no request meets a worker on its way out and the others keep serving.
- nginx and the workers die with this process (Linux's parent-death signal): a supervisor killed
  with SIGKILL (the OOM killer, a test's last resort) leaves no worker running on without it, still
  holding its port and its database connections.
Scheduled work needs nothing here: every worker runs the loop and a database lease lets one act.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when serve.py dies, however it dies (Linux prctl)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: stopping the children stays serve.py's job
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_count(env: dict[str, str]) -> int:
    """K from WORKERS, limited to what the database and queue allow (said on stdout)."""
    wanted = int(env.get("WORKERS") or os.cpu_count() or 1)
    database = env.get("DATABASE_URL", "")
    if wanted > 1 and not database.startswith("postgresql"):
        print(f"SQLite serves one worker (WORKERS={wanted} asked): set DATABASE_URL to PostgreSQL and "
              "REDIS_URL for more.", flush=True)
        return 1
    if wanted > 1 and not env.get("REDIS_URL"):
        print(f"Several workers share live rooms through Redis: set REDIS_URL (WORKERS={wanted} asked); "
              "serving one.", flush=True)
        return 1
    return max(1, wanted)


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        sys.exit("nginx is missing: install the Debian package (apt-get install nginx) as root, "
                 "or run `make serve` as root to have it installed.")
    return found


def render(run_dir: Path, host: str, port: int, worker_ports: list[int]) -> Path:
    upstreams = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in worker_ports)
    text = string.Template(TEMPLATE.read_text()).safe_substitute(
        WORKERS=len(worker_ports), RUN_DIR=run_dir, MIME_TYPES="/etc/nginx/mime.types", MAX_BODY="30m",
        UPSTREAMS=upstreams, HOST=host, PORT=port, STATIC_DIR=ROOT / "workspace" / "static")
    if os.geteuid() == 0:
        text = "user root;\n" + text  # nginx's workers read the static files where the checkout is
    conf = run_dir / "nginx.conf"
    conf.write_text(text)
    return conf


def listening(host: str, port: int, proxy: subprocess.Popen[bytes], timeout: float = 30) -> bool:
    """Wait until nginx accepts connections ("Serving on" must not come before it can be served)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proxy.poll() is None:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class WorkerFailed(Exception):
    """A worker did not start: at start-up the layout gives up; during a reload the old one stays."""


class Worker:
    """One `python wsgi.py` on its own port."""

    def __init__(self, index: int, port: int, env: dict[str, str], log_dir: Path) -> None:
        self.index, self.port, self.env, self.log_dir = index, port, env, log_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_dir / f"worker-{self.index}.log", "ab")
        env = {**self.env, "PORT": str(self.port), "HOST": "127.0.0.1", "PROXY_COUNT": "1"}
        self.process = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 60, stopping: Callable[[], bool] = lambda: False) -> None:
        """Return once /readyz answers 200; WorkerFailed if the worker exits or never gets there, or
        if serve.py is asked to stop meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if stopping():
                raise WorkerFailed(f"worker {self.index}: stopping before it was ready")
            if self.process is not None and self.process.poll() is not None:
                raise WorkerFailed(f"worker {self.index} exited: see {self.log_dir}/worker-{self.index}.log")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise WorkerFailed(f"worker {self.index} did not become ready: see {self.log_dir}/worker-{self.index}.log")

    def stop(self, timeout: float = 20) -> None:
        self.signal_stop()
        self.wait_stopped(timeout)

    def signal_stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self, timeout: float = 20) -> None:
        if self.process and self.process.poll() is None:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def replace(old: Worker, workers: list[Worker], nginx: str, run_dir: Path, host: str, port: int,
            stopping: Callable[[], bool] = lambda: False) -> Worker:
    """A rolling restart's step, so that no request meets a worker on its way out: start the new
    worker on a new port, point nginx at it (a graceful reload: requests already passed on finish),
    give in-flight requests a moment, then stop the old one; its sockets close, and their clients
    reconnect through nginx and resume from their last event. A stop asked for meanwhile keeps the
    old worker (serve.py is about to stop them all)."""
    if stopping():
        return old
    new = Worker(old.index, free_port(), old.env, old.log_dir)
    new.start()
    try:
        new.wait_ready(stopping=stopping)
    except WorkerFailed as failed:
        new.stop()
        print(f"{failed}; keeping the running worker {old.index}", flush=True)
        return old
    ports = [new.port if w is old else w.port for w in workers]
    conf = render(run_dir, host, port, ports)
    subprocess.run([nginx, "-c", str(conf), "-p", str(run_dir), "-s", "reload"], check=True)
    time.sleep(DRAIN_SECONDS)
    old.stop()
    return new


DRAIN_SECONDS = 2.0  # nginx's reload takes effect and requests passed to the old worker finish


def main() -> None:
    env = dict(os.environ)
    host, port = env.get("HOST", "127.0.0.1"), int(env.get("PORT", "8000"))
    run_dir = Path(env.get("RUN_DIR") or ROOT / "instance" / "serve").resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    nginx = nginx_binary()
    count = worker_count(env)
    workers = [Worker(i, free_port(), env, run_dir) for i in range(count)]
    for w in workers:
        w.start()
    try:
        for w in workers:
            w.wait_ready()
    except WorkerFailed as failed:
        for w in workers:
            w.stop()
        sys.exit(str(failed))
    conf = render(run_dir, host, port, [w.port for w in workers])
    proxy = subprocess.Popen([nginx, "-c", str(conf), "-p", str(run_dir)], preexec_fn=_die_with_parent)
    if not listening(host, port, proxy):
        proxy.terminate()
        for w in workers:
            w.stop()
        sys.exit(f"nginx did not start listening on {host}:{port}: see {run_dir}/nginx-error.log")
    (run_dir / "serve.pid").write_text(str(os.getpid()))
    print(f"Serving on http://{host}:{port} ({count} worker{'s' if count > 1 else ''} behind nginx; "
          f"logs in {run_dir})", flush=True)

    state = {"stop": False, "reload": False}
    signal.signal(signal.SIGTERM, lambda *_: state.update(stop=True))
    signal.signal(signal.SIGINT, lambda *_: state.update(stop=True))
    signal.signal(signal.SIGHUP, lambda *_: state.update(reload=True))
    while not state["stop"]:
        time.sleep(0.2)
        if proxy.poll() is not None:
            print(f"nginx exited ({proxy.returncode}): see {run_dir}/nginx-error.log", flush=True)
            break
        if state["reload"]:
            state["reload"] = False
            kept = 0
            for i, old in enumerate(list(workers)):  # in place: each step's nginx config sees the last
                workers[i] = replace(old, workers, nginx, run_dir, host, port, stopping=lambda: state["stop"])
                kept += workers[i] is old
            if state["stop"]:
                print("Reload cut short: stopping.", flush=True)
            else:
                print("Workers restarted one by one." if not kept else f"Reload: {kept} worker(s) kept (see above).",
                      flush=True)
        for w in workers:
            if w.process is not None and w.process.poll() is not None and not state["stop"]:
                print(f"worker {w.index} died ({w.process.returncode}); starting it again", flush=True)
                w.start()
    if proxy.poll() is None:
        proxy.terminate()
        try:
            proxy.wait(10)
        except subprocess.TimeoutExpired:
            proxy.kill()
    for w in workers:  # all at once: each drains on its own, the stop takes the longest one, not the sum
        w.signal_stop()
    for w in workers:
        w.wait_stopped()
    (run_dir / "serve.pid").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
