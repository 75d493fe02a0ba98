"""The code keeps its own rules: services and domain type-check; nothing unused or undefined anywhere;
only services record room events (tx.record) and nothing under web/ or realtime/ touches models."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mypy_on_domain_services_and_the_unit_of_work():
    checked = ("workspace/domain", "workspace/services", "workspace/mail", "workspace/db.py", "workspace/signing.py",
               "workspace/group_commit.py",
               "workspace/tasks.py")
    result = run("mypy", *checked, "--ignore-missing-imports", "--no-error-summary")
    errors = [line for line in result.stdout.splitlines() if line.startswith(checked)]
    assert errors == []


def test_ruff_finds_nothing_unused_or_undefined():
    result = run("ruff", "check", "workspace", "tests", "bench", "--select", "F,E9", "--quiet")
    assert result.returncode == 0, result.stdout


def test_only_services_record_events_and_edges_do_not_write_models():
    offenders = []
    for path in (ROOT / "workspace").rglob("*.py"):
        text = path.read_text()
        rel = path.relative_to(ROOT).as_posix()
        if "tx.record(" in text and not rel.startswith(("workspace/services/", "workspace/db.py")):
            offenders.append(f"{rel} records events")
        if rel.startswith(("workspace/web/", "workspace/realtime/")) and (
                "transaction()" in text or "session.add(" in text or ".commit()" in text):
            offenders.append(f"{rel} writes to the database")
        if rel.startswith("workspace/domain/") and "from workspace." in text.replace("from workspace.domain", ""):
            offenders.append(f"{rel}: domain imports outside domain")
    assert offenders == []
