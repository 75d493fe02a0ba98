"""Under eventlet, PostgreSQL round trips must not block the worker: psycopg 3 detects gevent but not
eventlet, so wsgi.py chooses its select-based wait (which eventlet makes green)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

PROBE = r"""
import os, sys, time
import eventlet
eventlet.monkey_patch()
if sys.argv[2] == "green":
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")   # what wsgi.py does
import psycopg

def nap():
    with psycopg.connect(sys.argv[1]) as conn:
        conn.execute("SELECT 1")
        started = time.monotonic()
        conn.execute("SELECT pg_sleep(0.3)")
        return time.monotonic() - started

pool = eventlet.GreenPool()
started = time.monotonic()
naps = list(pool.imap(lambda _: nap(), range(5)))
print(round(time.monotonic() - started - 0, 3), psycopg.waiting.wait.__name__)
"""


def _run(url: str, mode: str) -> tuple[float, str]:
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    out = subprocess.run([sys.executable, "-c", PROBE, plain, mode], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    seconds, wait = out.stdout.split()
    return float(seconds), wait


def test_five_sleeps_overlap_with_the_green_wait_and_queue_without_it(postgres_url: str) -> None:
    """Five green threads each sleep 0.3 s in PostgreSQL: together about 0.3 s when the wait is green
    (plus connecting), 1.5 s or more when each blocks the hub (the control)."""
    wsgi = (ROOT / "wsgi.py").read_text()
    assert 'os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")' in wsgi
    green, green_wait = _run(postgres_url, "green")
    blocking, blocking_wait = _run(postgres_url, "default")
    assert green_wait == "wait_select" and blocking_wait == "wait_c"
    assert blocking >= 1.5, blocking
    assert green < 1.2, green
