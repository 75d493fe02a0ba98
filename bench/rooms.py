#!/usr/bin/env python3
"""Many small rooms on K workers: the capacity of `make serve`'s layout (K workers behind nginx).

R rooms of a freelancer, a client and a viewer (made through the API with tokens, as bench/run.py
makes its job), every room posting at the same small rate; the total rate is stepped up until p99
emit-to-receive passes --p99-limit (250 ms). For each configuration (K=1 and K=2 on PostgreSQL +
Redis, K=1 on SQLite by default) it reports the capacity (messages/s and deliveries/s at the last
step under the limit), server CPU per message, RSS per socket, and where the CPU went (workers,
nginx, Redis, PostgreSQL, the load generator), then the K=2/K=1 ratio. See bench/README.md.

    .venv/bin/python bench/rooms.py [--configs pg:1,pg:2,sqlite:1] [--rooms 200] [--step-seconds 6]

Each configuration gets a fresh database (PostgreSQL: `ws_bench_<random>` created on --pg-admin's
server and dropped afterwards; SQLite: a temp file), its own redis-server on a free port, and
deploy/serve.py (what `make serve` runs) with WORKERS=K. The load generator (bench/rooms-load.js)
connects every socket from its own loopback address so that nginx's ip_hash spreads them.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from run import (cpu_seconds, posts_committed, ensure_node_modules, free_port, http_json, log, machine_busy,  # noqa: E402
                 node_binary, raise_nofile, rss_kib, settle)

PASSWORD = "bench-password-0123"
PROFILE_HOOK = BENCH / "profile_hook"  # sitecustomize.py: cProfile a worker between SIGUSR1 and SIGUSR2


# ---- processes -------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds(pid)
        except OSError:
            pass
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU-seconds between two samples; a process that appeared in between counts from zero."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


class Postgres:
    """A fresh database for one configuration, dropped at the end; its backends' pids for CPU."""

    def __init__(self, admin_url: str) -> None:
        import psycopg

        self.admin_url = admin_url.replace("postgresql+psycopg://", "postgresql://")
        self.name = f"ws_bench_{uuid.uuid4().hex[:10]}"
        self.conn = psycopg.connect(self.admin_url, autocommit=True)
        self.conn.execute(f'CREATE DATABASE "{self.name}"')
        self.url = self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    def backends(self, nice: int = 0) -> list[int]:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)).fetchall()
        pids = [r[0] for r in rows]
        for pid in pids if nice else []:  # the backends serving the bench database get the bench's priority
            try:
                os.setpriority(os.PRIO_PROCESS, pid, nice)
            except OSError:
                pass
        return pids

    def drop(self) -> None:
        self.conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,))
        self.conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        self.conn.close()


class Redis:
    """A private redis-server on a free port (its CPU is part of what K workers cost)."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            raise SystemExit("redis-server is needed for the PostgreSQL + Redis configurations")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Layout:
    """deploy/serve.py (what `make serve` runs): K workers behind nginx on one port."""

    def __init__(self, workdir: Path, database_url: str, redis_url: str | None, workers: int,
                 profile: Path | None, tree: Path, psycopg_wait: str | None = None) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = workdir / "run"
        env = {**os.environ, "WORKERS": str(workers), "PORT": str(self.port), "RUN_DIR": str(self.run_dir),
               "DATABASE_URL": database_url, "WORKSPACE_INSTANCE": str(workdir), "SECRET_KEY": "bench-secret-key",
               "SOCKET_RATE_LIMITS": '{"message": [1000000, 10], "join": [1000000, 10]}',
               "SIGNUP_LIMIT_PER_ADDRESS": "1000000/3600", "LOGIN_LIMIT_PER_ADDRESS": "1000000/900",
               "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024", "ARGON2_PARALLELISM": "1",
               "MAX_CONNECTIONS": "20000", "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        env.pop("PSYCOPG_WAIT_FUNC", None)
        if psycopg_wait:  # psycopg's own switch; its default under eventlet (wait_c) blocks the whole worker
            env["PSYCOPG_WAIT_FUNC"] = psycopg_wait
        if redis_url:
            env["REDIS_URL"] = redis_url
        if profile is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILE_HOOK), env.get("PYTHONPATH")]))
            env["BENCH_PROFILE_OUT"] = str(profile)
        self.log_path = workdir / "serve.log"
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open for the process lifetime
        self.proc = subprocess.Popen([sys.executable, "deploy/serve.py"], cwd=tree, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while "Serving on" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"deploy/serve.py did not start:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def workers(self) -> list[int]:
        return [p for p in children(self.proc.pid) if "wsgi.py" in cmdline(p)]

    def nginx(self) -> list[int]:
        masters = [p for p in children(self.proc.pid) if "nginx" in cmdline(p)]
        return masters + [c for m in masters for c in children(m)]

    def worker_ports(self) -> list[int]:
        return [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+)", (self.run_dir / "nginx.conf").read_text())]

    def sockets_per_worker(self) -> list[int]:
        counts = []
        for port in self.worker_ports():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                    m = re.search(r"^workspace_sockets_connected ([0-9.e+]+)", r.read().decode(), re.MULTILINE)
                    counts.append(int(float(m.group(1))) if m else -1)
            except OSError:
                counts.append(-1)
        return counts

    def posts_committed(self) -> tuple[float, float]:
        """(transactions that wrote posts, posts they wrote), summed over the workers' /metrics."""
        figures = [posts_committed(f"http://127.0.0.1:{port}") for port in self.worker_ports()]
        return (sum(f[0] for f in figures if f), sum(f[1] for f in figures if f))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # serve.py and every worker it started
                self.proc.wait(5)
        self._log.close()

    def problems(self) -> list[str]:
        lines = []
        for path in [self.log_path, *sorted(self.run_dir.glob("worker-*.log"))]:
            text = path.read_text(errors="replace") if path.exists() else ""
            lines += [f"{path.name}: {line}" for line in text.splitlines()
                      if re.search(r"Traceback|ERROR|Exception|Error:", line)]
        return lines


# ---- rooms -----------------------------------------------------------------------------------
def signup(url: str, label: str) -> str:
    email = f"{label}-{uuid.uuid4().hex[:12]}@bench.test"
    status, body = http_json("POST", url + "/api/v1/signup", {"email": email, "password": PASSWORD,
                                                             "name": label.title()})
    if status != 201:
        raise RuntimeError(f"signup failed: {status} {body}")
    return str(body["token"])


def make_room(url: str, n: int) -> dict[str, Any]:
    api = url + "/api/v1"
    tokens = [signup(url, role) for role in ("freelancer", "client", "viewer")]
    status, body = http_json("POST", api + "/jobs", {"title": f"Rooms bench {n}"}, tokens[0])
    if status != 201:
        raise RuntimeError(f"create job failed: {status} {body}")
    job = body["job"]["id"]
    for role, token in (("client", tokens[1]), ("viewer", tokens[2])):
        status, body = http_json("POST", f"{api}/jobs/{job}/invites", {"role": role}, tokens[0])
        if status != 201:
            raise RuntimeError(f"invite failed: {status} {body}")
        status, body = http_json("POST", f"{api}/invites/{body['invite']['token']}/accept", {}, token)
        if status not in (200, 201):
            raise RuntimeError(f"accept failed: {status} {body}")
    return {"job": str(job), "tokens": tokens}


class Generator:
    """bench/rooms-load.js: JSON lines out, `step`/`close` lines in."""

    def __init__(self, url: str, rooms_file: Path, workdir: Path, spread: bool, concurrency: int) -> None:
        cmd = [node_binary(), str(BENCH / "rooms-load.js"), "--url", url, "--rooms", str(rooms_file),
               "--connect-concurrency", str(concurrency)] + (["--spread"] if spread else [])
        self._err = open(workdir / "gen.err", "wb")  # noqa: SIM115
        self.err_path = workdir / "gen.err"
        self.proc = subprocess.Popen(cmd, cwd=BENCH, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err,
                                     text=True, bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read(self, timeout: float = 600) -> dict[str, Any]:
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                raise RuntimeError("generator exited: " + self.err_path.read_text(errors="replace")[-2000:])
            if line.startswith("{"):
                msg = json.loads(line)
                if msg.get("phase") == "error":
                    raise RuntimeError("generator failed: " + msg["error"])
                return dict(msg)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> dict[str, Any] | None:
        end = None
        try:
            self.send("close")
            end = self.read(30)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._err.close()
        return end


# ---- one configuration -----------------------------------------------------------------------
def rates(args: argparse.Namespace) -> list[float]:
    out, r = [], args.start_rate
    while r <= args.max_rate:
        out.append(round(r, 1))
        r *= args.factor
    return out


def passes(step: dict[str, Any], args: argparse.Namespace) -> bool:
    lat = step["latency_ms"]["p99"]
    return (lat is not None and lat <= args.p99_limit and step["missing"] == 0 and step["ack_errors"] == 0
            and step["msgs_per_s"] >= 0.9 * step["target_rate"])


def run_config(db_kind: str, k: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    name = f"{'PostgreSQL + Redis' if db_kind == 'pg' else 'SQLite'}, K={k}"
    workdir = tmp / f"{db_kind}-{k}-{uuid.uuid4().hex[:6]}"  # a configuration may be listed twice
    workdir.mkdir()
    result: dict[str, Any] = {"config": name, "db": db_kind, "k": k, "steps": []}
    pg = redis = layout = gen = None
    try:
        if db_kind == "pg":
            pg = Postgres(args.pg_admin)
            database_url = pg.url
            redis = Redis(workdir)
        else:
            database_url = f"sqlite:///{workdir}/bench.db"
        migrate = "import sys; from workspace.migrate import upgrade; upgrade(sys.argv[1])"
        subprocess.run([sys.executable, "-c", migrate, database_url], cwd=args.tree, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        profile = Path(args.profile) / f"{db_kind}-{k}" if args.profile else None
        layout = Layout(workdir, database_url, redis.url if redis else None, k, profile, Path(args.tree),
                        args.psycopg_wait if db_kind == "pg" else None)
        workers = layout.workers()
        result["workers"] = len(workers)
        log(f"{name}: {len(workers)} worker(s) behind nginx on {layout.url}; making {args.rooms} rooms")
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.setup_threads) as pool:
            rooms = list(pool.map(lambda n: make_room(layout.url, n), range(args.rooms)))
        result["setup_s"] = time.monotonic() - t0
        rooms_file = workdir / "rooms.json"
        rooms_file.write_text(json.dumps(rooms))
        for pid in workers:
            settle(pid)
        rss0 = sum(rss_kib(p) for p in workers)
        cpu0 = cpu_of(workers)
        gen = Generator(layout.url, rooms_file, workdir, not args.no_spread, args.connect_concurrency)
        ready = gen.read()
        for pid in workers:
            settle(pid)
        rss1 = sum(rss_kib(p) for p in workers)
        split = layout.sockets_per_worker()
        result["connect"] = {**{x: ready[x] for x in ("rooms", "sockets", "failed", "failures", "connect_s", "join_ms")},
                             "server_cpu_ms_per_socket": 1000 * cpu_delta(cpu0, cpu_of(workers)) / max(1, ready["sockets"]),
                             "rss_per_socket_kib": (rss1 - rss0) / max(1, ready["sockets"]),
                             "sockets_per_worker": split}
        log(f"{name}: {ready['sockets']} sockets in {ready['connect_s']:.1f}s ({ready['failed']} failed), "
            f"per worker {split}, RSS +{(rss1 - rss0) / max(1, ready['sockets']):.1f} KiB/socket")
        if ready["failed"]:
            raise RuntimeError(f"{ready['failed']} sockets failed: {ready['failures']}")
        # Idle: every socket connected and joined, nothing posted (pings, the head/presence ticker).
        idle0, t_idle = cpu_of(layout.workers()), time.monotonic()
        time.sleep(args.idle_seconds)
        result["connect"]["idle_worker_cores"] = cpu_delta(idle0, cpu_of(layout.workers())) / (time.monotonic() - t_idle)
        log(f"{name}: idle with {ready['sockets']} sockets: workers {result['connect']['idle_worker_cores']:.2f} cores")
        # Warm-up (first statements, caches), not measured.
        gen.send(f"step 0 {args.start_rate} {min(3, args.step_seconds)}")
        gen.read()
        for pid in workers:
            settle(pid)
        failures_in_a_row = 0
        for i, rate in enumerate(rates(args), start=1):
            for pid in layout.workers():
                if profile is not None:
                    os.kill(pid, signal.SIGUSR1)
            procs = {"workers": layout.workers(), "nginx": layout.nginx(),
                     "redis": [redis.proc.pid] if redis else [], "postgres": pg.backends(args.nice) if pg else [],
                     "generator": [gen.proc.pid]}
            commits0 = layout.posts_committed()
            before = {key: cpu_of(p) for key, p in procs.items()}
            m0, w0 = machine_busy(), time.monotonic()
            gen.send(f"step {i} {rate} {args.step_seconds}")
            step = gen.read()
            w1, m1 = time.monotonic(), machine_busy()
            if pg:
                procs["postgres"] = sorted(set(procs["postgres"]) | set(pg.backends()))
            after = {key: cpu_of(p) for key, p in procs.items()}
            commits1 = layout.posts_committed()
            if commits1[0] > commits0[0]:  # group commit: how many posts shared a transaction
                step["posts_per_commit"] = (commits1[1] - commits0[1]) / (commits1[0] - commits0[0])
            if profile is not None:
                for pid in layout.workers():
                    os.kill(pid, signal.SIGUSR2)
            wall = w1 - w0
            cores = {key: cpu_delta(before[key], after[key]) / wall for key in procs}
            cores["machine"] = (os.cpu_count() or 1) * (m1[0] - m0[0]) / max(1e-9, m1[1] - m0[1])
            cores["other"] = max(0.0, cores["machine"] - sum(v for key, v in cores.items() if key != "machine"))
            step.update({"cores": cores, "rss_kib": sum(rss_kib(p) for p in layout.workers()),
                         "worker_cpu_ms_per_msg": 1000 * cores["workers"] * wall / max(1, step["acked"]),
                         "all_cpu_ms_per_msg": 1000 * (cores["workers"] + cores["nginx"] + cores["redis"]
                                                       + cores["postgres"]) * wall / max(1, step["acked"])})
            step["passed"] = passes(step, args)
            result["steps"].append(step)
            log(f"{name} step {i}: target {rate:g} msg/s ({step['per_room_rate']:.2f}/room): {step['msgs_per_s']:.1f} "
                f"msg/s, {step['deliveries_per_s']:.0f} deliv/s, p50 {step['latency_ms']['p50']} p99 "
                f"{step['latency_ms']['p99']} ms, missing {step['missing']}, workers {cores['workers']:.2f} cores, "
                f"gen {cores['generator']:.2f}, "
                + (f"{step['posts_per_commit']:.2f} posts/commit, " if "posts_per_commit" in step else "")
                + ("ok" if step["passed"] else "OVER"))
            for pid in layout.workers():
                settle(pid, limit=30)
            failures_in_a_row = 0 if step["passed"] else failures_in_a_row + 1
            if failures_in_a_row >= args.over_steps:
                break
        result["end"] = gen.finish()
        gen = None
        result["rss_after_kib_per_socket"] = (sum(rss_kib(p) for p in layout.workers()) - rss0) / max(1, ready["sockets"])
        result["problems"] = layout.problems()[:10]
    finally:
        if gen is not None:
            gen.finish()
        if layout is not None:
            layout.stop()
            if profile is not None:
                result["profiles"] = sorted(str(p) for p in profile.parent.glob(f"{profile.name}-*"))
        if redis is not None:
            redis.stop()
        if pg is not None:
            pg.drop()
    return result


def capacity(result: dict[str, Any]) -> dict[str, Any] | None:
    """The highest step under the limit (a lower step over it is reported as noise: see `dips`)."""
    passed = [s for s in result["steps"] if s["passed"]]
    return max(passed, key=lambda s: s["target_rate"]) if passed else None


def dips(result: dict[str, Any]) -> list[float]:
    """Steps over the limit below the capacity (a stall on a shared machine, or a periodic task)."""
    cap = capacity(result)
    return [s["target_rate"] for s in result["steps"] if cap and not s["passed"] and s["target_rate"] < cap["target_rate"]]


# ---- report ----------------------------------------------------------------------------------
def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"psycopg wait function on the workers: {args.psycopg_wait or 'default (wait_c under eventlet)'}."
             if any(r["db"] == "pg" for r in results) else "",
             f"Rooms: {args.rooms} rooms x 3 sockets (freelancer, client, viewer; every event goes to all three); "
             f"steps of {args.step_seconds:g} s from {args.start_rate:g} msg/s, x{args.factor:g} per step, until p99 "
             f"> {args.p99_limit:g} ms; {os.cpu_count()} cores shared by server, nginx, Redis, PostgreSQL and the "
             "load generator.", ""]
    head = (f"{'config':24} {'step msg/s':>10} {'per room':>8} {'msgs/s':>7} {'deliv/s':>7} {'p50 ms':>7} "
            f"{'p99 ms':>8} {'wrk cores':>9} {'wrk ms/msg':>10} {'nginx':>5} {'redis':>5} {'pg':>5} {'gen':>5} "
            f"{'other':>5} {'miss':>4}")
    lines += ["Every step:", head, "-" * len(head)]
    for r in results:
        for s in r["steps"]:
            c = s["cores"]
            lines.append(f"{r['config']:24} {s['target_rate']:>10g} {s['per_room_rate']:>8.2f} {s['msgs_per_s']:>7.1f} "
                         f"{s['deliveries_per_s']:>7.0f} {s['latency_ms']['p50']:>7} {s['latency_ms']['p99']:>8} "
                         f"{c['workers']:>9.2f} {s['worker_cpu_ms_per_msg']:>10.2f} {c['nginx']:>5.2f} "
                         f"{c['redis']:>5.2f} {c['postgres']:>5.2f} {c['generator']:>5.2f} {c['other']:>5.2f} "
                         f"{s['missing']:>4}{'' if s['passed'] else '  over'}")
    lines += ["(wrk cores = CPU of all workers during the step / wall time; wrk ms/msg = worker CPU per message; "
              "nginx, redis, pg (PostgreSQL backends of the bench database), gen (the Node load generator), other "
              "(kernel, anything else): cores used during the step)", ""]
    head = (f"{'config':24} {'capacity msg/s':>14} {'deliv/s':>8} {'p99 ms':>7} {'wrk ms/msg':>10} "
            f"{'all ms/msg':>10} {'RSS KiB/socket':>14} {'sockets/worker':>15} {'idle cores':>10} {'gen cores':>9}")
    lines += ["Capacity (the highest step with p99 <= limit, nothing missing):", head, "-" * len(head)]
    caps = {}
    for r in results:
        cap = capacity(r)
        caps[(r["db"], r["k"])] = cap
        c = r.get("connect", {})
        if cap is None:
            lines.append(f"{r['config']:24} {'below the first step':>14}"
                         f"{'':>66}{c.get('idle_worker_cores', 0):>10.2f}")
            continue
        lines.append(f"{r['config']:24} {cap['msgs_per_s']:>14.1f} {cap['deliveries_per_s']:>8.0f} "
                     f"{cap['latency_ms']['p99']:>7} {cap['worker_cpu_ms_per_msg']:>10.2f} "
                     f"{cap['all_cpu_ms_per_msg']:>10.2f} {c.get('rss_per_socket_kib', 0):>14.1f} "
                     f"{'/'.join(str(x) for x in c.get('sockets_per_worker', [])):>15} "
                     f"{c.get('idle_worker_cores', 0):>10.2f} {cap['cores']['generator']:>9.2f}")
    lines.append("(all ms/msg = workers + nginx + Redis + PostgreSQL CPU per message; RSS KiB/socket = the workers' "
                 "RSS growth once every socket joined / sockets; idle cores = the workers' CPU with every socket joined and "
                 "nothing posted; gen cores = the load generator's CPU at that step)")
    one, two = caps.get(("pg", 1)), caps.get(("pg", 2))
    if one and two:
        lines += ["", f"K=2 / K=1 on PostgreSQL + Redis: {two['msgs_per_s'] / one['msgs_per_s']:.2f}x messages/s "
                  f"({two['msgs_per_s']:.0f} / {one['msgs_per_s']:.0f}); worker CPU per message "
                  f"{two['worker_cpu_ms_per_msg'] / one['worker_cpu_ms_per_msg']:.2f}x"]
    notes = []
    for r in results:
        for s in r["steps"]:
            if s["ack_errors"] or s["unexpected_closes"] or s["out_of_order"]:
                notes.append(f"{r['config']} step {s['target_rate']:g}: ack errors {s['ack_errors']} "
                             f"{s['ack_error_samples']}, closes {s['unexpected_closes']}, out of order {s['out_of_order']}")
        if dips(r):
            notes.append(f"{r['config']}: steps over the limit below its capacity: {dips(r)} msg/s")
        if r.get("problems"):
            notes.append(f"{r['config']}: error lines in the logs, e.g. {r['problems'][0][:200]!r}")
        if r.get("error"):
            notes.append(f"{r['config']}: run failed: {r['error']}")
    lines += ["", "Problems seen:" if notes else "Problems seen: none."] + ["  " + n for n in notes]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="pg:1,pg:2,sqlite:1",
                        help="database:K list; database is pg (PostgreSQL + Redis) or sqlite (default pg:1,pg:2,sqlite:1)")
    parser.add_argument("--rooms", type=int, default=200, help="rooms, three sockets each (default 200)")
    parser.add_argument("--start-rate", type=float, default=40, help="first step's total msgs/s (default 40)")
    parser.add_argument("--factor", type=float, default=1.3, help="each step's rate over the last (default 1.3)")
    parser.add_argument("--max-rate", type=float, default=3000, help="highest step (default 3000)")
    parser.add_argument("--step-seconds", type=float, default=6, help="seconds of sending per step (default 6)")
    parser.add_argument("--p99-limit", type=float, default=250, help="p99 emit-to-receive limit, ms (default 250)")
    parser.add_argument("--over-steps", type=int, default=2,
                        help="steps over the limit in a row before stopping (default 2)")
    parser.add_argument("--idle-seconds", type=float, default=6,
                        help="measure the workers' CPU this long with every socket joined and nothing posted")
    parser.add_argument("--connect-concurrency", type=int, default=32, help="sockets connecting at once (default 32)")
    parser.add_argument("--setup-threads", type=int, default=8, help="rooms made at once over HTTP (default 8)")
    parser.add_argument("--no-spread", action="store_true",
                        help="connect every socket from 127.0.0.1 (nginx's ip_hash then sends all to one worker)")
    parser.add_argument("--pg-admin", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
                        help="PostgreSQL server/database to create the bench database from (dropped afterwards)")
    parser.add_argument("--profile", metavar="DIR", help="cProfile every worker during every step (slower: "
                        "not for the figures); DIR/<config>-<pid>.<step>.prof")
    parser.add_argument("--tree", default=str(ROOT),
                        help="source tree whose deploy/serve.py and wsgi.py are measured (default: this checkout); "
                             "e.g. a `git archive` snapshot, to measure one commit while the checkout changes")
    parser.add_argument("--psycopg-wait", metavar="NAME",
                        help="PSYCOPG_WAIT_FUNC for the workers, e.g. wait_select: psycopg 3 does not detect eventlet "
                             "and by default waits for PostgreSQL in C (wait_c), blocking every green thread of the "
                             "worker for each round trip (see bench/README.md)")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the layout, Redis, the generator and the bench database's PostgreSQL backends at "
                             "this priority (e.g. -10, as root) so a shared machine's other work disturbs less")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()
    args.tree = str(Path(args.tree).resolve())
    if not (Path(args.tree) / "deploy" / "serve.py").is_file():
        parser.error(f"--tree {args.tree} has no deploy/serve.py")
    configs = []
    for item in args.configs.split(","):
        db_kind, k = item.strip().split(":")
        if db_kind not in ("pg", "sqlite"):
            parser.error(f"unknown database {db_kind}")
        configs.append((db_kind, int(k)))
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        args.profile = str(Path(args.profile).resolve())
    ensure_node_modules(need_socketio=False)
    raise_nofile()
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by every process started from here
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "workspace", "deploy"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if args.tree != str(ROOT):
        commit, dirty = f"tree {args.tree}", ""
    log(f"commit {commit}{' (workspace/ or deploy/ modified)' if dirty else ''}; configs {configs}")
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="workspace-rooms-") as tmp:
        for db_kind, k in configs:
            try:
                results.append(run_config(db_kind, k, args, Path(tmp)))
            except KeyboardInterrupt:
                log("interrupted; reporting what ran")
                break
            except Exception as exc:  # noqa: BLE001 - report what ran
                log(f"{db_kind}:{k} failed: {exc}")
                results.append({"config": f"{db_kind}:{k}", "db": db_kind, "k": k, "steps": [], "error": str(exc)})
    print(f"commit {commit}{' + local changes' if dirty else ''}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(report(results, args))
    print(f"\n(total {time.monotonic() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0 if all(not r.get("error") for r in results) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
