"""Bad input at the edge gets a clear 4xx (or a socket `{ok: false}`), never a 500 and never a write:
huge integers in paths, bodies and cursors, lone surrogates, deep nesting, odd form field names;
HEAD never submits a form; signed-in pages are not cacheable."""
from __future__ import annotations

import json

import pytest



def csrf(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf-token" content="')[1].split('"')[0]


def log_in(client, person) -> None:
    r = client.post("/login", data={"email": person["email"], "password": "correct horse battery",
                                    "csrf_token": csrf(client)})
    assert r.status_code == 302, r.status_code


def raw(api, method, path, who, body: str):
    return api.call(method, path, who, data=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("path", [
    "/profiles/99999999999999999999", "/milestones/99999999999999999999/submit",
    "/payments/9223372036854775808/confirm", "/jobs/x/agreements/99999999999999/accept",
])
def test_ids_beyond_the_columns_are_404(api, people, path):
    method = "GET" if path.startswith("/profiles/") else "POST"
    response = api.call(method, path, people["freelancer"], {}, headers={"Idempotency-Key": "beyond-the-columns"})
    assert response.status_code == 404, response.get_json()


def test_huge_cursors_and_ids_in_bodies_are_422(api, people, job):
    for query in ("after=10000000000000000000", "after=1e30", "before=99999999999999999999", "after=-1"):
        r = api.call("GET", f"/jobs/{job['id']}/events?{query}", people["client"])
        assert r.status_code == 422, (query, r.get_json())
    r = api.call("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": "hi", "reply_to": 2**40})
    assert r.status_code in (404, 422), r.get_json()
    r = raw(api, "POST", f"/jobs/{job['id']}/messages", people["client"], '{"body": "x", "reply_to": 1e400}')
    assert r.status_code in (400, 422), r.get_json()
    r = raw(api, "POST", f"/jobs/{job['id']}/messages", people["client"], '{"body": "x", "n": 100000000000000000000000}')
    assert r.status_code == 422 and r.get_json()["error"]["fields"] == {"n": "Out of range."}


def test_lone_surrogates_and_deep_nesting_are_422_and_write_nothing(api, people, job):
    before = api.events(people["client"], job["id"])["last_seq"]
    r = raw(api, "POST", f"/jobs/{job['id']}/messages", people["client"], '{"body": "a\\ud800b"}')
    assert r.status_code == 422 and "surrogate" in r.get_json()["error"]["message"]
    deep = '{"body": ' + "[" * 200 + "]" * 200 + "}"
    r = raw(api, "POST", f"/jobs/{job['id']}/messages", people["client"], deep)
    assert r.status_code == 422, r.get_json()
    r = api.call("POST", f"/jobs/{job['id']}/payments", people["client"], {"amount": 100, "method": {}},
                 headers={"Idempotency-Key": "k1"})
    assert 400 <= r.status_code < 500
    assert api.events(people["client"], job["id"])["last_seq"] == before


def test_agreement_form_with_odd_row_names_answers_a_page(client, api, people, job):
    log_in(client, people["freelancer"])
    token = csrf(client, f"/jobs/{job['id']}/agreement/propose")
    for name in ("m-²-title", "m-99999999999999-title", "m--1-title", "m-x-title"):
        r = client.post(f"/jobs/{job['id']}/agreement/propose", data={"csrf_token": token, name: "A", "scope": "s"})
        assert r.status_code in (200, 422), (name, r.status_code)


def _field_errors(page: str) -> list[str]:
    import re

    return re.findall(r'class="field-error"[^>]*>([^<]+)<', page)


def test_the_agreement_form_names_every_mistake_at_once(client, api, people, job):
    """An empty form (its one milestone row left blank) says what each field needs, and a typo in an
    amount does not hide the rest until the next try."""
    log_in(client, people["freelancer"])
    path = f"/jobs/{job['id']}/agreement/propose"
    row = {"m-0-title": "", "m-0-amount": "", "m-0-due": "", "m-0-criteria": "", "m-0-revisions": "1"}
    base = {"csrf_token": csrf(client, path), "currency": "EUR", "upfront_kind": "none",
            "update_every_hours": "24", "auto_approve_days": "7"}
    empty = client.post(path, data={**base, **row, "scope": "", "deadline": ""})
    assert empty.status_code == 422
    assert sorted(_field_errors(empty.get_data(as_text=True))) == sorted([
        "Give the milestone a title.", "Give the amount.", "Give the due date as a date (YYYY-MM-DD).",
        "Describe the scope of the work.", "Give the deadline as a date (YYYY-MM-DD).", ])
    typo = client.post(path, data={**base, **row, "m-0-title": "Logo", "m-0-amount": "12,,5", "scope": ""})
    errors = _field_errors(typo.get_data(as_text=True))
    assert typo.status_code == 422 and len(errors) == 4 and "Describe the scope of the work." in errors
    assert api.ok("GET", f"/jobs/{job['id']}", people["freelancer"])["job"]["pending_agreement"] is None


def test_head_never_submits_a_form(client, api, people):
    log_in(client, people["freelancer"])
    jobs_before = len(api.ok("GET", "/jobs", people["freelancer"])["jobs"])
    r = client.open("/jobs/new", method="HEAD", data={"title": "Sneaky"})
    assert r.status_code in (200, 404, 405)
    assert len(api.ok("GET", "/jobs", people["freelancer"])["jobs"]) == jobs_before


def test_signed_in_pages_are_not_cached(client, people, job):
    log_in(client, people["freelancer"])
    for path in ("/jobs", f"/jobs/{job['id']}/"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", path


def test_socket_payload_checks_share_the_edge_rules(app):
    from workspace.domain.errors import Invalid
    from workspace.realtime.gate import check_payload

    for payload in ({"job": "a\ud800"}, {"job": "x", "after": 2**70}, {"job": "x", "deep": json.loads("[" * 50 + "]" * 50)}):
        with pytest.raises(Invalid):
            check_payload(payload, {"job": (str, True)})


# ---------------------------------------------------------------- uploads

def _upload(api, who, job, data: bytes, name: str = "x.png"):
    import io

    return api.call("POST", f"/jobs/{job['id']}/attachments", who,
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_an_image_bomb_is_refused_before_decoding(app, api, people, job, tmp_path):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buffer, "PNG")  # ~20 KB on disk, 144 megapixels
    assert len(buffer.getvalue()) < 500_000
    r = _upload(api, people["client"], job, buffer.getvalue(), "bomb.png")
    assert r.status_code == 413 and "megapixels" in r.get_json()["error"]["message"]
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []  # nothing kept


def test_unsent_uploads_are_capped_and_deleted_after_a_day(app, api, people, job, tmp_path):
    from datetime import timedelta
    from pathlib import Path

    from workspace import tasks
    from workspace.db import utcnow
    from workspace.services.attachments import UNSENT_MAX

    for n in range(UNSENT_MAX):
        assert _upload(api, people["client"], job, f"note {n}".encode(), f"n{n}.txt").status_code == 201
    r = _upload(api, people["client"], job, b"one more", "more.txt")
    assert r.status_code == 409 and "never sent" in r.get_json()["error"]["message"]
    assert _upload(api, people["freelancer"], job, b"mine", "f.txt").status_code == 201  # per person
    with app.app_context():
        assert tasks.run_once(app, utcnow() + timedelta(hours=23))["unsent_files_deleted"] == 0
        assert tasks.run_once(app, utcnow() + timedelta(days=1, minutes=1))["unsent_files_deleted"] == UNSENT_MAX + 1
    assert list(Path(app.config["UPLOAD_DIR"]).iterdir()) == []
    assert _upload(api, people["client"], job, b"again", "again.txt").status_code == 201


def test_a_wrong_method_is_405_with_allow(api, people, job):
    r = api.call("PUT", f"/jobs/{job['id']}/messages", people["client"], {})
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def test_http_and_sockets_share_one_message_budget(app, api, people, job):
    """Over HTTP the socket limit bites too, and the socket gate's check draws on the same budget."""
    from workspace.action_limits import DEFAULT_RATES, take_slot
    from workspace.domain.errors import RateLimited

    limit = DEFAULT_RATES["message"][0]
    sent = 0
    while sent <= 2 * limit:
        r = api.call("POST", f"/jobs/{job['id']}/messages", people["client"], {"body": f"m{sent}"})
        if r.status_code == 429:
            break
        assert r.status_code == 201
        sent += 1
    assert limit <= sent < 2 * limit  # a fixed window may roll over once while we send
    assert r.status_code == 429 and r.headers["Retry-After"]
    with app.app_context(), pytest.raises(RateLimited):
        take_slot("message", people["client"]["id"], app.config)  # what the socket gate calls


def test_nul_characters_in_forms_and_queries_are_refused(client, api, people):
    log_in(client, people["freelancer"])
    token = csrf(client, "/jobs/new")
    before = len(api.ok("GET", "/jobs", people["freelancer"])["jobs"])
    r = client.post("/jobs/new", data={"csrf_token": token, "title": "a\x00b", "description": ""})
    assert r.status_code == 422 and "NUL" in r.get_data(as_text=True)
    assert len(api.ok("GET", "/jobs", people["freelancer"])["jobs"]) == before
    assert api.call("GET", "/notifications?before=%00", people["freelancer"]).status_code == 422


TOO_DEEP = "[" * 5000 + "]" * 5000  # past Python's recursion limit: json.loads raises RecursionError


def test_json_nested_past_the_recursion_limit_is_422_not_500(client, api, people, job):
    """Past `MAX_DEPTH` the depth check answers; far past it the parser itself gives up (RecursionError,
    which Flask's `silent` does not cover): the same 422, signed in or not, and nothing is written."""
    before = api.events(people["client"], job["id"])["last_seq"]
    for body in (TOO_DEEP, '{"a":' * 5000 + "1" + "}" * 5000):
        r = client.post("/api/v1/signup", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "nested too deeply" in r.get_json()["error"]["message"], r.get_json()
        r = raw(api, "POST", f"/jobs/{job['id']}/messages", people["client"], body)
        assert r.status_code == 422, r.get_json()
    assert api.events(people["client"], job["id"])["last_seq"] == before


def test_a_socket_payload_past_the_recursion_limit_gets_an_invalid_ack(shared_server):
    """The raw frame a hostile client can send (python-socketio would let the RecursionError through:
    a traceback and no ack); the socket stays usable."""
    import threading

    from tests.sockets import Watcher, job_with_people

    job, people = job_with_people(shared_server)
    watcher = Watcher(shared_server, people["client"]).connect()
    try:
        acks: list[tuple] = []
        done = threading.Event()
        ack_id = watcher.client._generate_ack_id("/", lambda *args: (acks.append(args), done.set()))
        watcher.client.eio.send(f'2{ack_id}["typing",{{"job":"{job["id"]}","x":{TOO_DEEP}}}]')
        assert done.wait(10), "no ack"
        ack = acks[0][0]
        assert ack["ok"] is False and ack["error"]["code"] == "invalid"
        assert "nested too deeply" in ack["error"]["message"]
        assert watcher.join(job["id"])["ok"] is True
    finally:
        watcher.client.disconnect()


def test_jobs_and_invitation_links_are_rate_limited_per_account(app, api, people):
    """Nothing else bounds how many rows one account can make this way (the defaults: 50 jobs and 100
    links an hour); over the limit, a 429 in plain words and nothing written."""
    app.config["SOCKET_RATE_LIMITS"] = {"job_create": (2, 3600), "invite_create": (1, 3600)}
    f = people["outsider"]
    mine = [api.ok("POST", "/jobs", f, {"title": "One more"}, status=201)["job"] for _ in range(2)]
    refused = api.call("POST", "/jobs", f, {"title": "Too many"})
    assert refused.status_code == 429 and "Too many new jobs in a short time" in refused.get_json()["error"]["message"]
    assert refused.headers.get("Retry-After")
    assert [j["title"] for j in api.ok("GET", "/jobs", f)["jobs"]].count("Too many") == 0
    api.ok("POST", f"/jobs/{mine[0]['id']}/invites", f, {"role": "viewer"}, status=201)
    again = api.call("POST", f"/jobs/{mine[0]['id']}/invites", f, {"role": "viewer"})
    assert again.status_code == 429 and "invitation links" in again.get_json()["error"]["message"]


def test_the_new_job_page_says_when_too_many_were_made(app, client, people):
    app.config["SOCKET_RATE_LIMITS"] = {"job_create": (0, 3600)}
    log_in(client, people["outsider"])
    page = client.post("/jobs/new", data={"title": "One too many", "csrf_token": csrf(client, "/jobs/new")})
    assert page.status_code == 429 and "Too many new jobs in a short time" in page.get_data(as_text=True)


def sockets_connected(server) -> float:
    import re
    import urllib.request

    text = urllib.request.urlopen(f"{server.url}/metrics", timeout=5).read().decode()
    return float(re.search(r"^workspace_sockets_connected(?:\{[^}]*\})? (\S+)$", text, re.M).group(1))


def _raw(watcher, frame_after_ack_id: str):
    """Send a raw Socket.IO event frame with an ack id; the ack's first argument (or None)."""
    import threading

    got, done = [], threading.Event()
    ack_id = watcher.client._generate_ack_id("/", lambda *args: (got.append(args), done.set()))
    watcher.client.eio.send(f"2{ack_id}{frame_after_ack_id}")
    return got[0][0] if done.wait(5) else None


def test_a_client_cannot_send_the_servers_own_events_or_binary_or_broken_packets(shared_server):
    """"disconnect" from a client ran the server's disconnect handler on a live socket (presence and
    the per-user socket count dropped, again and again): refused with an invalid ack. Binary packets
    (held in memory until all their attachments came) and packets the library cannot read are dropped;
    the socket stays usable."""
    from tests.sockets import Watcher, job_with_people

    job, people = job_with_people(shared_server)
    watcher = Watcher(shared_server, people["client"]).connect()
    try:
        assert watcher.join(job["id"])["ok"] is True
        before = sockets_connected(shared_server)
        for name in ("disconnect", "connect"):
            ack = _raw(watcher, f'["{name}"]')
            assert ack["ok"] is False and ack["error"]["code"] == "invalid" and name in ack["error"]["message"]
        watcher.client.eio.send('51-["typing",{"_placeholder":true,"num":0}]')
        watcher.client.eio.send(b"\x00" * 1000)
        for broken in ("2{}", "2[]", '21e5["typing"]'):
            watcher.client.eio.send(broken)
        assert watcher.call("typing", {"job": job["id"]})["ok"] is True  # still connected and heard
        assert watcher.client.connected
        assert sockets_connected(shared_server) == before  # the disconnect handler did not run
    finally:
        watcher.client.disconnect()
