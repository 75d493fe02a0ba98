"""Schemathesis against the live server: requests generated from our own OpenAPI document (every
check on, positive and negative data, stateful sequences that follow the document's links) must find
nothing — no 5xx, no undocumented status, no response off its schema, nothing the document allows
refused or anything it forbids accepted, 405 with Allow for undeclared methods."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import LiveServer
from tests.support import terms

ROOT = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path):
    import shutil

    directory = tmp_path_factory.mktemp("schema")
    shutil.copy(sqlite_template, directory / "db.sqlite")
    # Generated requests come fast: the per-user budgets are raised so they test the API, not the limiter.
    limits = '{"message": [100000, 10], "progress": [100000, 10], "edit_message": [100000, 10], ' \
             '"delete_message": [100000, 10], "read": [100000, 10]}'
    server = LiveServer(f"sqlite:///{directory / 'db.sqlite'}", directory, env={"SOCKET_RATE_LIMITS": limits}).start()
    yield server
    server.stop()


def seed(server: LiveServer) -> dict:
    """A freelancer whose job has terms in force, a submitted milestone, a message, a payment and an
    invitation, so generated requests and links reach real ids."""
    f, c = server.signup("freelancer"), server.signup("client")
    job = server.api("POST", "/jobs", f, {"title": "Schema job"}, status=201).json()["job"]
    invite = server.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "client"}, status=201).json()["invite"]
    server.api("POST", f"/invites/{invite['token']}/accept", c, status=200)
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": proposed["terms_hash"]}, status=200)
    state = server.api("GET", f"/jobs/{job['id']}", f).json()["job"]
    server.api("POST", f"/milestones/{state['milestones'][0]['id']}/submit", f, {"note": "Done"}, status=200)
    server.api("POST", f"/jobs/{job['id']}/messages", f, {"body": "Hello"}, status=201)
    server.api("POST", f"/jobs/{job['id']}/invites", f, {"role": "viewer"}, status=201)
    return f


@pytest.mark.timeout(900)  # a few thousand requests; far longer than the usual per-test limit on a loaded machine
def test_the_api_does_what_its_document_says(api_server):
    freelancer = seed(api_server)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "ST_BASE_URL": api_server.url,
           "ST_EMAIL": freelancer["email"], "ST_PASSWORD": freelancer["password"], "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(ROOT / "tests" / "schemathesis.toml"), "run",
         f"{api_server.url}/api/v1/openapi.json", "--checks", "all",
         "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "12"), "--seed", os.environ.get("SCHEMATHESIS_SEED", "1"),
         "--workers", "1", "--no-color", "--generation-database", "none", "--report-dir", str(api_server.instance / "st")],
        # One worker: Hypothesis describing filters parses source with `ast` and that is not
        # thread-safe on Python 3.11 (a "recursion depth mismatch" runtime error under two).
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=840)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    assert api_server.app_tracebacks() == []
