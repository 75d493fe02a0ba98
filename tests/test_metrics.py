"""/metrics in Prometheus' format from a real worker: the figures move with what happens (sockets,
events published and their emit delay, actions refused), and only this machine may read them."""
from __future__ import annotations

import re

import pytest
import requests

from tests.sockets import Watcher, job_with_people

pytestmark = pytest.mark.realtime


def figure(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def test_the_figures_follow_the_room(live_server):
    job, people = job_with_people(live_server)
    before = requests.get(live_server.url + "/metrics", timeout=5).text
    watcher = Watcher(live_server, people["client"]).connect()
    try:
        assert watcher.join(job["id"])["ok"]
        assert watcher.call("join", {"job": "no-such-job"})["ok"] is False
        for n in range(3):
            live_server.api("POST", f"/jobs/{job['id']}/messages", people["freelancer"], {"body": f"m{n}"}, status=201)
        assert watcher.wait_for(lambda: len(watcher.seqs(job["id"])) >= 3)
        during = requests.get(live_server.url + "/metrics", timeout=5)
        assert during.headers["Content-Type"].startswith("text/plain")
        text = during.text
        assert figure(text, "workspace_sockets_connected") == figure(before, "workspace_sockets_connected") + 1
        assert figure(text, "workspace_events_published_total") >= figure(before, "workspace_events_published_total") + 3
        assert figure(text, "workspace_event_emit_delay_seconds_count") >= 3
        assert figure(text, 'workspace_actions_refused_total{code="not_found"}') >= 1
        assert "workspace_outbox_depth" in text and "workspace_scheduler_lag_seconds" in text
    finally:
        watcher.close()
    assert watcher.wait_for(lambda: figure(requests.get(live_server.url + "/metrics", timeout=5).text,
                                           "workspace_sockets_connected") == figure(before, "workspace_sockets_connected"))


def test_only_this_machine_reads_them(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    assert client.get("/metrics").status_code == 200
