#!/usr/bin/env python3
"""Room fan-out benchmark: our server against a bare python-socketio/eventlet peer, side by side.

For each peer and each N (watchers in one room, one sender), a fresh server process is started,
warmed up, and driven by the Node load generator (bench/ws-load.js, raw Engine.IO/Socket.IO frames
over `ws`). Per phase it reports delivered events per second, emit-to-receive latency (p50/p99),
server CPU-seconds per delivery, server RSS per connection and the generator's own CPU, then the
ratios of our server to the bare peer. See bench/README.md.

    .venv/bin/python bench/run.py [--watchers 10,100,1000] [--messages 100] [--rate 20]
                                  [--burst-window 10] [--deflate off,on] [--peers ours,bare,node]
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench-password-0123"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- process measurements (/proc) ------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU-seconds of the whole machine so far, from /proc/stat (iowait counts as idle)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:9]]
    idle = values[3] + values[4]
    total = sum(values)
    return (total - idle) / CLK_TCK, total / CLK_TCK


def settle(pid: int, idle_util: float = 0.05, quiet_samples: int = 2, step: float = 0.25,
           limit: float = 60.0) -> float:
    """Wait until the process uses less than idle_util of a core for quiet_samples steps; seconds waited."""
    start = time.monotonic()
    quiet = 0
    last = cpu_seconds(pid)
    while time.monotonic() - start < limit:
        time.sleep(step)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if (now - last) / step < idle_util else 0
        last = now
        if quiet >= quiet_samples:
            break
    return time.monotonic() - start


def raise_nofile(want: int = 65536) -> int:
    """Raise RLIMIT_NOFILE for this process and so for every child (1000+ sockets each side)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(method: str, url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


# ---- servers ---------------------------------------------------------------------------------
class Server:
    """One server process under test: `ours` (wsgi.py), `bare` (bare_server.py) or `node` (bare_server.js)."""

    def __init__(self, kind: str, workdir: Path, database_url: str | None = None, tree: Path = ROOT,
                 profile: Path | None = None) -> None:
        self.kind = kind
        self.tree = tree
        self.profile = profile  # cProfile the server (bench/profile_server.py), one file per phase
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.database_url = database_url
        self.log_path = workdir / f"{kind}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {**os.environ, "PORT": str(self.port), "MAX_CONNECTIONS": "20000", "PYTHONUNBUFFERED": "1"}
        if self.kind in ("ours", "base"):
            env.update({
                "DATABASE_URL": self.database_url or "", "WORKSPACE_INSTANCE": str(self.workdir),
                "SECRET_KEY": "bench-secret-key", "SOCKET_RATE_LIMITS": '{"message": [1000000, 10], "join": [1000000, 10]}',
                "SIGNUP_LIMIT_PER_ADDRESS": "1000000/3600", "ARGON2_TIME_COST": "1",
                "MAX_SOCKETS_PER_USER": "100000",  # the N watchers are one person
                "ARGON2_MEMORY_KIB": "1024", "ARGON2_PARALLELISM": "1",
            })
            cmd = [sys.executable, "wsgi.py"]
            if self.profile is not None:
                env["PROFILE_OUT"] = str(self.profile)
                cmd = [sys.executable, str(BENCH / "profile_server.py")]
        elif self.kind == "bare":
            cmd = [sys.executable, str(BENCH / "bare_server.py")]
        else:
            cmd = [node_binary(), str(BENCH / "bare_server.js")]
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process lifetime
        # `ours` runs from --tree, `base` from --base-tree (its wsgi.py directory comes first on sys.path);
        # the peers from bench/.
        self.proc = subprocess.Popen(cmd, cwd=self.tree if self.kind in ("ours", "base") else ROOT, env=env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not start:\n{self.log_tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "_log"):
            self._log.close()

    def log_tail(self, n: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path.exists() else ""

    def problems(self) -> list[str]:
        """Error lines in the server's log (tracebacks, logged exceptions)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines()
                if re.search(r"Traceback|ERROR|Exception|exception|Error:", line)]


class Room:
    """Tokens and a fresh job to run one load against."""

    def __init__(self, sender_token: str, watcher_token: str, job: str) -> None:
        self.sender_token, self.watcher_token, self.job = sender_token, watcher_token, job


def signup(url: str, label: str) -> str:
    email = f"{label}-{time.monotonic_ns()}@bench.test"
    status, body = http_json("POST", url + "/api/v1/signup", {"email": email, "password": PASSWORD, "name": label.title()})
    if status != 201:
        raise RuntimeError(f"signup failed: {status} {body}")
    return str(body["token"])


def make_room(server: Server, label: str) -> Room:
    if server.kind not in ("ours", "base"):
        return Room("bare-sender", "bare-watcher", f"bench-{label}")
    api = server.url + "/api/v1"
    sender = signup(server.url, "freelancer")
    watcher = signup(server.url, "viewer")
    status, body = http_json("POST", api + "/jobs", {"title": f"Fan-out bench {label}"}, sender)
    if status != 201:
        raise RuntimeError(f"create job failed: {status} {body}")
    job = body["job"]["id"]
    status, body = http_json("POST", f"{api}/jobs/{job}/invites", {"role": "viewer"}, sender)
    if status != 201:
        raise RuntimeError(f"invite failed: {status} {body}")
    status, body = http_json("POST", f"{api}/invites/{body['invite']['token']}/accept", {}, watcher)
    if status not in (200, 201):
        raise RuntimeError(f"accept invite failed: {status} {body}")
    return Room(sender, watcher, str(job))


# ---- the load generator ----------------------------------------------------------------------
def node_binary() -> str:
    node = shutil.which("node")
    if not node:
        raise SystemExit("node is required (Node 20): the load generator is bench/ws-load.js")
    return node


def ensure_node_modules(need_socketio: bool) -> bool:
    """Install bench/package.json's packages when missing; True when socket.io is available."""
    have_ws = (BENCH / "node_modules" / "ws").is_dir()
    have_sio = (BENCH / "node_modules" / "socket.io").is_dir()
    if not have_ws or (need_socketio and not have_sio):
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit("npm is required to install the generator's `ws` package (cd bench && npm install)")
        cmd = [npm, "ci" if (BENCH / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
        log("installing bench/node_modules: " + " ".join(cmd[1:]))
        subprocess.run(cmd, cwd=BENCH, check=True, stdout=subprocess.DEVNULL)
    return (BENCH / "node_modules" / "socket.io").is_dir()


class Generator:
    """bench/ws-load.js under --control: JSON lines out, `go`/`close` lines in."""

    def __init__(self, server: Server, room: Room, watchers: int, phases: str, deflate: bool, label: str,
                 control: bool = True, connect_concurrency: int = 32) -> None:
        cmd = [node_binary(), str(BENCH / "ws-load.js"), "--url", server.url, "--token", room.watcher_token,
               "--sender-token", room.sender_token, "--job", room.job, "--watchers", str(watchers),
               "--phases", phases, "--label", label, "--deflate" if deflate else "--no-deflate",
               "--connect-concurrency", str(connect_concurrency)]
        if control:
            cmd.append("--control")
        self.err_path = server.workdir / f"gen-{label}.err"
        self._err = open(self.err_path, "wb")  # noqa: SIM115 - open for the process lifetime
        self.proc = subprocess.Popen(cmd, cwd=BENCH, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read(self, timeout: float = 300.0) -> dict[str, Any]:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError("load generator did not answer in time") from None
            if line is None:
                raise RuntimeError("load generator exited: " + self.err_path.read_text(errors="replace")[-2000:])
            line = line.strip()
            if not line.startswith("{"):
                continue
            msg = json.loads(line)
            if msg.get("phase") == "error":
                raise RuntimeError("load generator failed: " + msg["error"])
            return dict(msg)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        try:
            self.send("close")
            self.proc.stdin.close()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._err.close()


# ---- one measured run ------------------------------------------------------------------------
def posts_committed(url: str) -> tuple[float, float] | None:
    """(transactions that wrote posts, posts they wrote) from a server's /metrics (group commit), or
    None for a server without them (the bare peers, older trees)."""
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            text = response.read().decode()
    except (urllib.error.URLError, OSError):
        return None
    figures = dict(re.findall(r"^workspace_posts_per_commit_(count|sum) (\S+)$", text, re.M))
    return (float(figures["count"]), float(figures["sum"])) if len(figures) == 2 else None


def run_one(kind: str, workdir: Path, database_url: str | None, n: int, deflate: bool,
            args: argparse.Namespace) -> dict[str, Any]:
    label = f"{kind}-{'z' if deflate else 'p'}-{n}"
    tree = Path(args.base_tree if kind == "base" else args.tree)
    profile = Path(args.profile) / label if args.profile and kind in ("ours", "base") else None
    server = Server(kind, workdir, database_url if kind != "base" else args.base_database_url, tree,
                    profile).start()
    windows = ["connect"]

    def profiling(on: bool) -> None:
        """Open or close a profile window (bench/profile_server.py); closing waits until it is written."""
        if profile is None:
            return
        switch = Path(f"{profile}.on")
        if on:
            switch.touch()
            time.sleep(0.02)  # the sampler looks every millisecond
            return
        switch.unlink()
        written = Path(f"{profile}.{len(windows) - 1}.txt")
        deadline = time.monotonic() + 10
        while not written.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

    result: dict[str, Any] = {"peer": kind, "deflate": deflate, "watchers": n, "phases": []}
    try:
        # Warm-up (imports, first render, first SQLite writes), not measured.
        warm = Generator(server, make_room(server, label + "-warm"), 5, "steady:50:20", deflate, label + "-warm",
                         control=False)
        while warm.read().get("phase") != "end":
            pass
        warm.finish()
        settle(server.pid)

        room = make_room(server, label)
        phases = []
        if args.rate > 0:
            phases.append(f"steady:{args.rate:g}:{args.messages}")
        if args.burst_window > 0:
            phases.append(f"burst:{args.burst_window}:{args.burst_messages}")
        rss0, cpu0, t0 = rss_kib(server.pid), cpu_seconds(server.pid), time.monotonic()
        profiling(True)
        gen = Generator(server, room, n, ",".join(phases), deflate, label, connect_concurrency=args.connect_concurrency)
        try:
            ready = gen.read()
            settled = settle(server.pid)
            profiling(False)
            rss1, cpu1 = rss_kib(server.pid), cpu_seconds(server.pid)
            result["connect"] = {
                **{k: ready[k] for k in ("watchers", "failed", "failures", "connect_s", "connect_ms", "join_ms",
                                         "other_events")},
                "server_cpu_s": cpu1 - cpu0, "wall_s": time.monotonic() - t0, "settle_s": settled,
                "rss_base_kib": rss0, "rss_connected_kib": rss1,
                "rss_per_conn_kib": (rss1 - rss0) / max(1, ready["watchers"]),
            }
            log(f"{label}: {ready['watchers']}/{n} joined in {ready['connect_s']:.1f}s "
                f"(server busy {cpu1 - cpu0:.1f} CPU-s, settled after {settled:.1f}s), RSS {rss0 // 1024}->{rss1 // 1024} MiB")
            for phase in phases:
                profiling(True)
                windows.append(phase.split(":")[0])
                posts0 = posts_committed(server.url) if kind != "bare" else None
                c0, w0, m0 = cpu_seconds(server.pid), time.monotonic(), machine_busy()
                gen.send("go")
                res = gen.read()
                c1, w1, m1 = cpu_seconds(server.pid), time.monotonic(), machine_busy()
                profiling(False)
                posts1 = posts_committed(server.url) if posts0 is not None else None
                if posts0 is not None and posts1 is not None and posts1[0] > posts0[0]:
                    res["posts_per_commit"] = (posts1[1] - posts0[1]) / (posts1[0] - posts0[0])
                cores = (os.cpu_count() or 1)
                res.update({"server_cpu_s": c1 - c0, "server_wall_s": w1 - w0,
                            "server_cpu_util": (c1 - c0) / max(1e-9, w1 - w0),
                            # all cores of the machine: server + generator + kernel + anything else running
                            "machine_busy_cores": cores * (m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1]),
                            "server_cpu_per_delivery_us": 1e6 * (c1 - c0) / max(1, res["delivered"]),
                            "rss_kib": rss_kib(server.pid)})
                result["phases"].append(res)
                log(f"{label} {res['mode']}: {res['deliveries_per_s']:.0f} deliveries/s, p50 "
                    f"{res['latency_ms']['p50']} ms, p99 {res['latency_ms']['p99']} ms, missing {res['missing']}, "
                    f"server CPU {res['server_cpu_util']:.2f}, generator CPU {res['gen_cpu_util']:.2f}"
                    + (f", {res['posts_per_commit']:.1f} posts per commit" if "posts_per_commit" in res else ""))
                settle(server.pid)
            end = gen.read()
            result["end"] = end
            result["rss_end_kib"] = rss_kib(server.pid)
        finally:
            gen.finish()
        result["server_alive"] = server.proc is not None and server.proc.poll() is None
    finally:
        server.stop()
        if profile is not None:  # name each window's file after its phase
            for i, name in enumerate(windows):
                for part in profile.parent.glob(f"{profile.name}.{i}.*"):
                    part.rename(profile.parent / f"{profile.name}-{name}{part.suffix}")
            log(f"profiles: {profile}-{{{','.join(windows)}}}.txt (see bench/profile_server.py)")
        result["server_problems"] = server.problems()[:20]
        result["server_log"] = str(server.log_path)
    return result


def shared_machine(result: dict[str, Any]) -> float:
    """The most CPU that something other than the server and the generator took during a phase."""
    return max((other_cores(p) or 0.0 for p in result["phases"]), default=0.0)


def measure(kind: str, workdir: Path, database_url: str | None, n: int, deflate: bool,
            args: argparse.Namespace) -> dict[str, Any]:
    """run_one, repeated (up to --retries times) while other processes took CPU during a phase."""
    best = run_one(kind, workdir, database_url, n, deflate, args)
    for attempt in range(args.retries):
        if shared_machine(best) <= 0.3:
            break
        log(f"{kind} N={n}: other processes took {shared_machine(best):.2f} cores during a phase; "
            f"measuring again ({attempt + 1}/{args.retries})")
        again = run_one(kind, workdir, database_url, n, deflate, args)
        if shared_machine(again) < shared_machine(best):
            best = again
    return best


# ---- report ----------------------------------------------------------------------------------
def fmt(v: Any, spec: str = ".0f") -> str:
    return "-" if v is None else format(v, spec)


def rss_after(r: dict[str, Any]) -> float | None:
    c = r.get("connect")
    if not c or "rss_end_kib" not in r:
        return None
    return float(r["rss_end_kib"] - c["rss_base_kib"]) / max(1, c["watchers"])


def other_cores(p: dict[str, Any]) -> float | None:
    """Busy cores of the machine not used by the server or the generator (kernel, other processes)."""
    box = p.get("machine_busy_cores")
    return None if box is None else max(0.0, box - p["gen_cpu_util"] - p["server_cpu_util"])


def suspect(p: dict[str, Any]) -> bool:
    """The row measures the generator or a busy machine rather than the server."""
    box = p.get("machine_busy_cores") or 0.0
    return (p["gen_cpu_util"] > 0.85 or box > 0.9 * (os.cpu_count() or 1)
            or (other_cores(p) or 0.0) > 0.3)


def drift(p: dict[str, Any]) -> str:
    """p50 latency of the last quarter of the messages over the first quarter's (>1: falling behind)."""
    a = (p.get("latency_first_quarter_ms") or {}).get("p50")
    b = (p.get("latency_last_quarter_ms") or {}).get("p50")
    return f"{b / a:.1f}" if a and b else "-"


def ratio(a: Any, b: Any) -> str:
    if a is None or b is None or not b:
        return "-"
    return f"{a / b:.2f}x"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = []
    lines.append(f"Room fan-out, one sender, N watchers in one room; {os.cpu_count()} cores "
                 f"({args.idle_busy:.2f} busy before the run); "
                 f"steady = {args.rate:g} msg/s x {args.messages} (open loop), burst = {args.burst_messages} msgs with "
                 f"{args.burst_window} in flight.")
    lines.append("")
    lines.append(f"Connect + join (N sockets, {args.connect_concurrency} connecting at a time; "
                 "server CPU until it went idle again):")
    head = f"{'peer':5} {'defl':4} {'N':>5} {'joined':>6} {'wall s':>7} {'conn p99':>8} {'join p50':>8} {'join p99':>8} " \
           f"{'srv CPU ms/conn':>15} {'RSS KiB/conn':>12} {'after traffic':>13} {'signals rcvd':>12}"
    lines += [head, "-" * len(head)]
    for r in results:
        c = r.get("connect", {})
        lines.append(f"{r['peer']:5} {'on' if r['deflate'] else 'off':4} {r['watchers']:>5} {c.get('watchers', 0):>6} "
                     f"{fmt(c.get('connect_s'), '.2f'):>7} {fmt(c.get('connect_ms', {}).get('p99'), '.1f'):>8} "
                     f"{fmt(c.get('join_ms', {}).get('p50'), '.1f'):>8} "
                     f"{fmt(c.get('join_ms', {}).get('p99'), '.1f'):>8} "
                     f"{fmt(1000 * c['server_cpu_s'] / max(1, c['watchers']) if c else None, '.2f'):>15} "
                     f"{fmt(c.get('rss_per_conn_kib'), '.1f'):>12} {fmt(rss_after(r), '.1f'):>13} "
                     f"{sum(c.get('other_events', {}).values()):>12}")
    lines.append("(conn p99 = WebSocket open to Socket.IO connected, ms; join = join emit to ack, ms; "
                 "srv CPU ms/conn = server CPU from the first connect until idle / N)")
    lines.append("(RSS KiB/conn = server RSS growth / N once all joined; after traffic = the same after the "
                 "fan-out phases; signals rcvd = presence/head frames the N watchers received while joining)")
    lines.append("")
    lines.append("Fan-out (deliveries = events received by all watchers; latency = sender emit -> watcher receive):")
    head = (f"{'peer':5} {'defl':4} {'N':>5} {'mode':6} {'acked/s':>7} {'deliv/s':>8} {'p50 ms':>7} {'p99 ms':>8} "
            f"{'drift':>5} {'CPU us/deliv':>12} {'srv CPU':>7} {'gen CPU':>7} {'other':>5} {'missing':>7} "
            f"{'errors':>6}")
    lines += [head, "-" * len(head)]
    for r in results:
        for p in r["phases"]:
            other = other_cores(p)
            flag = "!" if suspect(p) else " "
            lines.append(
                f"{r['peer']:5} {'on' if r['deflate'] else 'off':4} {r['watchers']:>5} {p['mode']:6} "
                f"{p['acked_per_s']:>7.1f} {p['deliveries_per_s']:>8.0f} {fmt(p['latency_ms']['p50'], '.1f'):>7} "
                f"{fmt(p['latency_ms']['p99'], '.1f'):>8} {drift(p):>5} {p['server_cpu_per_delivery_us']:>12.1f} "
                f"{p['server_cpu_util']:>7.2f} {p['gen_cpu_util']:>6.2f}{flag} {fmt(other, '.2f'):>5} "
                f"{p['missing']:>7} "
                f"{p['ack_errors'] + p['unexpected_closes']:>6}")
    lines.append("(drift = p50 latency of the last quarter of the messages / of the first quarter: >1 means the "
                 "server fell behind; srv CPU / gen CPU = cores used by the server / by the generator during the "
                 "phase; other = the rest of the machine's busy cores (kernel, other processes); '!' = generator "
                 "above 0.85 of a core, machine above 90% busy or other above 0.3 cores: that row measures the "
                 "load generator or a shared machine, discard it)")

    index = {(r["peer"], r["deflate"], r["watchers"]): r for r in results}
    # ours (and base, an older tree) against each bare peer; ours against base
    pairs = [(mine, peer) for mine in ("ours", "base") for peer in ("bare", "node", "base")
             if mine != peer and any(r["peer"] == mine for r in results) and any(r["peer"] == peer for r in results)
             and not (mine == "base" and peer == "base")]
    for mine, peer in pairs:
        rows = []
        for r in results:
            if r["peer"] != mine:
                continue
            other = index.get((peer, r["deflate"], r["watchers"]))
            if not other:
                continue
            co, cb = r.get("connect", {}), other.get("connect", {})
            for p in r["phases"]:
                q = next((x for x in other["phases"] if x["mode"] == p["mode"]), None)
                if not q:
                    continue
                rows.append(
                    f"{'on' if r['deflate'] else 'off':4} {r['watchers']:>5} {p['mode']:6} "
                    f"{ratio(p['deliveries_per_s'], q['deliveries_per_s']):>8} "
                    f"{ratio(p['latency_ms']['p50'], q['latency_ms']['p50']):>8} "
                    f"{ratio(p['latency_ms']['p99'], q['latency_ms']['p99']):>8} "
                    f"{ratio(p['server_cpu_per_delivery_us'], q['server_cpu_per_delivery_us']):>12} "
                    f"{ratio(co.get('rss_per_conn_kib'), cb.get('rss_per_conn_kib')):>9} "
                    f"{ratio(rss_after(r), rss_after(other)):>9} "
                    f"{ratio(co.get('server_cpu_s'), cb.get('server_cpu_s')):>9}"
                    f"{'  !' if suspect(p) or suspect(q) else ''}")
        if rows:
            lines.append("")
            lines.append(f"Ratios, {mine} / {peer} (>1 = {mine} is higher: more deliveries/s is better, the rest worse; "
                         "'!' = one of the two rows is flagged above):")
            head = (f"{'defl':4} {'N':>5} {'mode':6} {'deliv/s':>8} {'p50':>8} {'p99':>8} {'CPU/deliv':>12} "
                    f"{'RSS/conn':>9} {'RSS aftr':>9} {'join CPU':>9}")
            lines += [head, "-" * len(head)] + rows

    notes = []
    for r in results:
        label = f"{r['peer']} deflate={'on' if r['deflate'] else 'off'} N={r['watchers']}"
        c = r.get("connect", {})
        if c.get("failed"):
            notes.append(f"{label}: {c['failed']} watcher(s) failed to connect/join: {c.get('failures')}")
        for p in r["phases"]:
            if p["missing"] or p["ack_errors"] or p["unexpected_closes"] or p["out_of_order"]:
                notes.append(f"{label} {p['mode']}: missing {p['missing']}, ack errors {p['ack_errors']} "
                             f"{p['ack_error_samples']}, closes {p['unexpected_closes']}, out of order {p['out_of_order']}")
        end = r.get("end", {})
        if end.get("unexpected_closes") or end.get("server_disconnects") or end.get("socket_error_count"):
            notes.append(f"{label}: closes {end.get('unexpected_closes')}, server disconnects "
                         f"{end.get('server_disconnects')}, socket errors {end.get('socket_errors')}")
        if r.get("server_problems"):
            notes.append(f"{label}: server log has {len(r['server_problems'])} error line(s), e.g. "
                         f"{r['server_problems'][0][:200]!r} ({r['server_log']})")
        if r.get("server_alive") is False:
            notes.append(f"{label}: the server process died during the run ({r['server_log']})")
    lines.append("")
    lines.append("Problems seen:" if notes else "Problems seen: none (no missing deliveries, ack errors, "
                                                      "dropped sockets or server errors).")
    lines += ["  " + n for n in notes]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--watchers", default="10,100,1000", help="comma-separated room sizes (default 10,100,1000)")
    parser.add_argument("--messages", type=int, default=100, help="steady phase: messages (default 100)")
    parser.add_argument("--rate", type=float, default=20, help="steady phase: messages per second (0 = skip; default 20)")
    parser.add_argument("--burst-messages", type=int, default=300, help="burst phase: messages (default 300)")
    parser.add_argument("--burst-window", type=int, default=10,
                        help="burst phase: messages in flight (0 = skip; default 10)")
    parser.add_argument("--deflate", default="off,on",
                        help="permessage-deflate offered by the client: off, on or off,on (default off,on)")
    parser.add_argument("--peers", default="ours,bare",
                        help="ours, bare (python-socketio/eventlet), node (socket.io 4); default ours,bare")
    parser.add_argument("--connect-concurrency", type=int, default=32,
                        help="watchers connecting at the same time (default 32)")
    parser.add_argument("--retries", type=int, default=1,
                        help="measure a peer/N again when other processes took over 0.3 cores during it "
                             "(default 1)")
    parser.add_argument("--tree", default=str(ROOT),
                        help="source tree whose wsgi.py is `ours` (default: this checkout); e.g. a "
                             "`git archive` snapshot, to measure one commit while the checkout changes")
    parser.add_argument("--base-tree",
                        help="a second source tree measured as peer `base` in the same run (e.g. a `git archive` "
                             "of the commit before a change): ours / base ratios show the change side by side")
    parser.add_argument("--profile", metavar="DIR",
                        help="cProfile ours/base (bench/profile_server.py): DIR/<label>-<phase>.prof per phase")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()

    watchers = [int(x) for x in args.watchers.split(",") if x.strip()]
    deflates = [{"off": False, "on": True}[x.strip()] for x in args.deflate.split(",") if x.strip()]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    for p in peers:
        if p not in ("ours", "base", "bare", "node"):
            parser.error(f"unknown peer {p}")
    if args.base_tree and "base" not in peers:
        peers.insert(1 if "ours" in peers else 0, "base")
    if "base" in peers and not args.base_tree:
        parser.error("peer `base` needs --base-tree")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        args.profile = str(Path(args.profile).resolve())
    if "node" in peers and not ensure_node_modules(need_socketio=True):
        log("socket.io is not installed (cd bench && npm install): skipping the node peer")
        peers.remove("node")
    else:
        ensure_node_modules(need_socketio=False)
    nofile = raise_nofile()
    args.tree = str(Path(args.tree).resolve())
    if "ours" in peers and not (Path(args.tree) / "wsgi.py").is_file():
        parser.error(f"--tree {args.tree} has no wsgi.py")
    log(f"RLIMIT_NOFILE {nofile}; peers {peers}; watchers {watchers}; deflate {args.deflate}; tree {args.tree}")

    m0 = machine_busy()
    time.sleep(1.0)
    m1 = machine_busy()
    idle_busy = (os.cpu_count() or 1) * (m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1])
    args.idle_busy = idle_busy
    if idle_busy > 0.3:
        log(f"warning: the machine is not idle ({idle_busy:.1f} cores busy before starting); "
            "figures will be noisy, see the 'other' column")

    started = time.monotonic()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="workspace-bench-") as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir}/bench.db"
        # Migrations from the tree under test, in a child (the orchestrator never imports the app).
        migrate = "import sys; from workspace.migrate import upgrade; upgrade(sys.argv[1])"
        if "ours" in peers:
            subprocess.run([sys.executable, "-c", migrate, database_url], cwd=args.tree, check=True)
        args.base_database_url = f"sqlite:///{workdir}/base.db"
        if "base" in peers:
            args.base_tree = str(Path(args.base_tree).resolve())
            subprocess.run([sys.executable, "-c", migrate, args.base_database_url], cwd=args.base_tree, check=True)
        try:
            for deflate in deflates:
                for n in watchers:
                    for peer in peers:
                        results.append(measure(peer, workdir, database_url, n, deflate, args))
        except KeyboardInterrupt:
            log("interrupted; reporting what ran")
        except Exception as exc:  # noqa: BLE001 - report what ran, then fail
            log(f"run failed: {exc}")
            print(report(results, args))
            print(f"\nRUN FAILED after {time.monotonic() - started:.0f} s: {exc}")
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=1))
            return 1
    print(report(results, args))
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
