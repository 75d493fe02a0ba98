"""The dossier (issue 11): a member downloads the job's record as a zip and anyone checks it with a bare
`python3 -I verify.py` (standard library only): every file's sha256 against the signed manifest, the hash
chain of the event log (across a deleted message) and the signed checkpoint. A changed byte anywhere, a
rewritten-and-rehashed chain, or a history that does not extend a checkpoint kept earlier fails, naming
what. Non-members get 404; the page route takes a login cookie, the API route a token; the build streams
(an attachment is copied by chunks, never held whole)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.money_support import activate, confirm, pay
from workspace.domain.chain import GENESIS_HASH, canonical_event, data_digest, link

PYTHON = "/usr/bin/python3"  # the system's, with none of the app's packages


def _post(api, who, job_id, body, **extra) -> dict[str, Any]:
    response = api.call("POST", f"/jobs/{job_id}/messages", who, {"body": body, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["event"]


def _upload(api, who, job_id, data: bytes, name: str) -> dict[str, Any]:
    response = api.call("POST", f"/jobs/{job_id}/attachments", who, data={"file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["attachment"]


@pytest.fixture
def seeded(api, people, job) -> dict[str, Any]:
    """A job with terms in force, a message with a file, a deleted message (with its file), an edited
    message, a message with markup in it, and a confirmed payment."""
    f, c = people["freelancer"], people["client"]
    milestone = activate(api, people, job)["milestones"][0]["id"]
    drawing = _upload(api, f, job["id"], b"\x89PNG not really, but bytes" * 10, "concepts.png")
    api.ok("POST", f"/milestones/{milestone}/submit", f, {"note": "Two concepts", "attachments": [drawing["id"]]})
    kept = _upload(api, f, job["id"], b"%PDF-1.4 the logo sketch\n" * 100, "sketch (v1).pdf")
    _post(api, f, job["id"], "Here is the sketch", attachments=[kept["id"]])
    secret = _upload(api, c, job["id"], b"IBAN DE89 3704 0044 0532 0130 00", "iban.txt")
    gone = _post(api, c, job["id"], "My IBAN: DE89370400440532013000", attachments=[secret["id"]])
    assert api.call("DELETE", f"/jobs/{job['id']}/messages/{gone['data']['message']['id']}", c).status_code == 200
    edited = _post(api, c, job["id"], "Looks god")
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{edited['data']['message']['id']}", c, {"body": "Looks good"})
    _post(api, c, job["id"], "<script>alert('x')</script> & <b>bold</b>")
    payment = pay(api, c, job["id"], 10000)
    assert payment.status_code == 201, payment.get_json()
    assert confirm(api, f, payment.get_json()["payment"]["id"]).status_code == 200
    return {"job": job["id"], "kept": kept, "secret": secret, "drawing": drawing,
            "payment": payment.get_json()["payment"]}


def download(api, who, job_id: str) -> bytes:
    response = api.call("GET", f"/jobs/{job_id}/dossier.zip", who)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert f'filename="dossier-{job_id}.zip"' in response.headers["Content-Disposition"]
    return response.get_data()


def unzip(data: bytes, into: Path) -> Path:
    into = into / "unzipped"  # tmp_path is also the app's instance folder
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(into)
    (folder,) = [p for p in into.iterdir() if p.is_dir()]
    return folder


def run_verifier(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """verify.py as a stranger runs it: the system Python, isolated (-I: no site-packages, no env, no cwd)."""
    return subprocess.run([PYTHON, "-I", "verify.py", *args], cwd=folder, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_a_members_dossier_verifies_with_a_bare_python(api, people, seeded, tmp_path):
    data = download(api, people["viewer"], seeded["job"])  # any member, a viewer too
    folder = unzip(data, tmp_path)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"verify.py", "events.jsonl", "checkpoint.json", "manifest.json", "signature.json", "index.html",
            "job.json", "ledger.json", "ledger.csv", "agreements/v1.md", "agreements/v1.pdf", "statement.pdf",
            f"receipts/receipt-{seeded['job']}-{seeded['payment']['id']}.pdf",
            "invoices/INV-0001.json", "invoices/INV-0001.pdf"} <= names
    from pypdf import PdfReader

    invoice_text = " ".join(page.extract_text() for page in PdfReader(folder / "invoices/INV-0001.pdf").pages)
    assert re.search(r"Job \S", invoice_text) and not re.search(r"(milestone|upfront|dispute):\d", invoice_text)
    assert seeded["job"] not in invoice_text  # the job by its title, not its id
    files = sorted(n for n in names if n.startswith("files/"))
    # A message's file and a submission's; the deleted message's file is not there.
    assert files == sorted([f"files/{seeded['kept']['id']}-sketch _v1_.pdf",
                            f"files/{seeded['drawing']['id']}-concepts.png"])
    sketch = f"files/{seeded['kept']['id']}-sketch _v1_.pdf"
    assert (folder / sketch).read_bytes() == b"%PDF-1.4 the logo sketch\n" * 100
    assert (folder / "verify.py").read_bytes() == (Path(__file__).parent.parent / "workspace"
                                                   / "dossier_verify.py").read_bytes()

    result = run_verifier(folder)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verified: all" in result.stdout
    assert "ok    manifest.json  signed by the key" in result.stdout
    assert re.search(r"ok    events\.jsonl  \d+ events chain from seq 1 .* \(2 erased on purpose", result.stdout)
    assert "ok    checkpoint.json  events.jsonl extends the signed head" in result.stdout
    assert f"ok    {sketch}  sha256" in result.stdout

    # The record itself: erased content is gone, hashes are the server's, the agreement and ledger are there.
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    text = (folder / "events.jsonl").read_text() + (folder / "index.html").read_text()
    assert "DE89370400440532013000" not in text and "Looks god" not in text
    prev = GENESIS_HASH
    for e in events:
        assert e["prev_hash"] == prev
        assert link(prev, canonical_event(e["job"], e["seq"], e["type"], e["at"], e["actor_id"], e["data_digest"])) \
            == e["hash"]
        prev = e["hash"]
    served = api.events(people["client"], seeded["job"])["events"]
    assert [(e["seq"], e["hash"]) for e in served] == [(e["seq"], e["hash"]) for e in events]
    checkpoint = json.loads((folder / "checkpoint.json").read_text())
    assert checkpoint["checkpoint"]["hash"] == events[-1]["hash"]
    assert checkpoint["public_key"] == api.client.get("/api/v1/keys").get_json()["keys"][0]["public_key"]
    agreement = (folder / "agreements/v1.md").read_text()
    assert "Design a logo." in agreement and "Client (client)" in agreement
    assert (folder / "agreements/v1.pdf").read_bytes().startswith(b"%PDF")
    ledger = json.loads((folder / "ledger.json").read_text())
    assert ledger["balances"]["paid"] == 10000
    assert "cash,10000" in (folder / "ledger.csv").read_text()

    # index.html reads offline and escapes what people typed.
    index = (folder / "index.html").read_text()
    assert "<script>" not in index and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in index
    assert "Message deleted" in index and "Logo for Acme" in index
    assert "http://" not in index and "https://" not in index
    assert "Content-Security-Policy content=\"default-src 'none'" in index


def _flip(path: Path, offset: int | None = None) -> None:
    raw = bytearray(path.read_bytes())
    at = len(raw) // 2 if offset is None else offset
    raw[at] ^= 0x01
    path.write_bytes(bytes(raw))


# The zip's bytes do not depend on the database: PostgreSQL only for the files read from it.
FLIPS = [("sqlite", v) for v in ("events.jsonl", "attachment", "manifest.json", "checkpoint.json", "index.html",
                                 "agreements/v1.md", "signature.json", "verify.py")] + [
    ("postgres", "events.jsonl"), ("postgres", "attachment")]
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("database_url,victim", FLIPS, indirect=["database_url"])
def test_one_flipped_byte_in_any_file_fails_naming_it(api, people, seeded, tmp_path, victim, database_url):
    folder = unzip(download(api, people["client"], seeded["job"]), tmp_path)
    name = f"files/{seeded['kept']['id']}-sketch _v1_.pdf" if victim == "attachment" else victim
    if victim == "checkpoint.json":  # inside the signed hash, so the file parses and the signature fails
        raw = (folder / name).read_text()
        signed = json.loads(raw)["checkpoint"]["hash"]
        (folder / name).write_text(raw.replace(signed, signed[:-1] + ("0" if signed[-1] != "0" else "1")))
    elif victim == "verify.py":  # a byte the script still runs with (one in its docstring)
        _flip(folder / name, (folder / name).read_bytes().index(b"standard library alone"))
    else:
        _flip(folder / name)
    result = run_verifier(folder)
    print(result.stdout)
    assert result.returncode == 1, result.stdout
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failures and all(name in line or victim in line for line in failures[:1]), failures
    assert "FAILED:" in result.stdout and "Verified" not in result.stdout


def test_a_rewritten_and_rehashed_chain_fails_against_the_checkpoint(api, people, seeded, tmp_path):
    """Someone changes a message in the log, recomputes its digest and every hash after it, and rewrites
    the manifest to match: the chain is consistent again, but the server's signatures are not theirs."""
    folder = unzip(download(api, people["client"], seeded["job"]), tmp_path)
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    target = next(e for e in events if e["type"] == "message.posted" and e["data"]["message"]["body"] == "Looks good"
                  or e["type"] == "message.edited" and e["data"]["message"]["body"] == "Looks good")
    target["data"]["message"]["body"] = "Looks bad; I will not pay"
    prev = GENESIS_HASH
    for e in events:
        if e is target:
            e["data_digest"] = data_digest(e["data"])
        e["prev_hash"] = prev
        e["hash"] = link(prev, canonical_event(e["job"], e["seq"], e["type"], e["at"], e["actor_id"], e["data_digest"]))
        prev = e["hash"]
    log = "".join(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for e in events)
    (folder / "events.jsonl").write_text(log)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["events.jsonl"] = {"sha256": hashlib.sha256(log.encode()).hexdigest(), "size": len(log.encode())}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    result = run_verifier(folder)
    print(result.stdout)
    assert result.returncode == 1
    assert re.search(r"ok    events\.jsonl  \d+ events chain", result.stdout)  # consistent on its own...
    assert f"FAIL  checkpoint.json: the signed head is seq {len(events)}" in result.stdout  # ...but not the signed one
    assert "history was rewritten after it was signed" in result.stdout
    assert "FAIL  manifest.json: its sha256 is not the one signed" in result.stdout


def test_a_history_rewritten_in_the_database_fails_against_a_checkpoint_kept_earlier(app, api, people, seeded,
                                                                                      tmp_path):
    """The database holder rewrites an event and re-hashes the chain; the server then signs the new head,
    so a fresh dossier is consistent. A checkpoint the client kept before shows the rewrite."""
    from workspace.extensions import db
    from workspace.models import Event, Job

    kept = api.ok("GET", f"/jobs/{seeded['job']}/checkpoint", people["client"])
    (tmp_path / "kept.json").write_text(json.dumps(kept))
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.public_id == seeded["job"]))
        rows = list(db.session.scalars(select(Event).where(Event.job_id == job.id).order_by(Event.seq)))
        victim = next(e for e in rows if e.type == "payment.confirmed")
        changed = json.loads(json.dumps(victim.data))
        changed["payment"]["amount"] = 1
        prev = GENESIS_HASH
        for e in rows:
            data = changed if e is victim else e.data
            digest = data_digest(data) if e is victim else e.data_digest
            new = link(prev, canonical_event(job.public_id, e.seq, e.type, e.at.isoformat(timespec="microseconds")
                                             .replace("+00:00", "Z"), e.actor_id, digest))
            db.session.execute(update(Event).where(Event.id == e.id).values(
                data=data, data_digest=digest, prev_hash=prev, hash=new))
            prev = new
        db.session.commit()
        from workspace.services.events import verify_chain

        assert verify_chain(job.id) is None  # the rewrite is consistent in the database
        db.session.remove()

    folder = unzip(download(api, people["client"], seeded["job"]), tmp_path / "zip")
    assert run_verifier(folder).returncode == 0  # a new dossier is signed over the new head
    result = run_verifier(folder, "--checkpoint", str(tmp_path / "kept.json"))
    print(result.stdout)
    assert result.returncode == 1
    assert f"FAIL  {tmp_path / 'kept.json'}: the signed head is seq {kept['checkpoint']['seq']}" in result.stdout


def test_a_checkpoint_for_a_longer_history_names_the_removed_events(api, people, seeded, tmp_path):
    folder = unzip(download(api, people["client"], seeded["job"]), tmp_path)
    lines = (folder / "events.jsonl").read_text().splitlines(keepends=True)
    (folder / "events.jsonl").write_text("".join(lines[:-2]))
    result = run_verifier(folder)
    assert result.returncode == 1
    assert (f"FAIL  checkpoint.json: the signed head is seq {len(lines)} but events.jsonl ends at seq "
            f"{len(lines) - 2}: events were removed") in result.stdout
    assert "FAIL  events.jsonl: sha256" in result.stdout


def test_only_members_get_the_dossier(app, api, people, seeded):
    job_id = seeded["job"]
    assert api.call("GET", f"/jobs/{job_id}/dossier.zip", people["outsider"]).status_code == 404
    assert api.call("GET", "/jobs/nope/dossier.zip", people["client"]).status_code == 404
    assert api.client.get(f"/api/v1/jobs/{job_id}/dossier.zip").status_code == 401
    page = app.test_client()
    assert page.get(f"/jobs/{job_id}/dossier.zip").status_code in (302, 401)  # to the login page
    _login(page, people["outsider"])
    assert page.get(f"/jobs/{job_id}/dossier.zip").status_code == 404
    # A build reads the whole job: a few a minute per person, then 429 (for any job id alike).
    statuses = [api.call("GET", f"/jobs/{job_id}/dossier.zip", people["outsider"]).status_code for _ in range(6)]
    assert statuses[-1] == 429 and set(statuses[:4]) == {404}
    limited = api.call("GET", f"/jobs/{job_id}/dossier.zip", people["outsider"])
    assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) > 0


def _login(client, who) -> None:
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', form).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": who["email"],
                                           "password": "correct horse battery"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def test_the_page_route_takes_a_login_cookie_and_flask_dossier_verify_checks_the_zip(app, api, people, seeded,
                                                                                      tmp_path):
    page = app.test_client()
    _login(page, people["client"])
    response = page.get(f"/jobs/{seeded['job']}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    good = tmp_path / "dossier.zip"
    good.write_bytes(response.get_data())

    runner = app.test_cli_runner()
    result = runner.invoke(args=["dossier", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "Verified: all" in result.output

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename.endswith("/events.jsonl"):
                content = content.replace(b'"message.posted"', b'"message.edited"', 1)
            dst.writestr(info, content)
    result = runner.invoke(args=["dossier", "verify", str(bad)])
    assert result.exit_code == 1
    assert "FAIL  events.jsonl: sha256" in result.output and "hash does not recompute" in result.output
    result = runner.invoke(args=["dossier", "verify", str(tmp_path / "nothing.zip")])
    assert result.exit_code == 2  # click: no such file
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    result = runner.invoke(args=["dossier", "verify", str(tmp_path / "junk.zip")])
    assert result.exit_code == 1 and "not a readable zip" in result.output


@SQLITE_ONLY  # memory does not depend on the database
def test_the_build_streams_an_attachment_by_chunks(app, api, people, job, tmp_path, database_url):
    """A 50 MB attachment goes through the build with a traced peak far below its size."""
    import tracemalloc

    from workspace.extensions import db
    from workspace.models import Attachment, User
    from workspace.services import dossier

    size = 50 * 1024 * 1024
    f = people["freelancer"]
    small = _upload(api, f, job["id"], b"placeholder", "big.bin")
    _post(api, f, job["id"], "The raw footage", attachments=[small["id"]])
    upload_dir = Path(app.config["UPLOAD_DIR"])
    with app.app_context():
        row = db.session.scalar(select(Attachment).where(Attachment.public_id == small["id"]))
        block = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB that does not compress to nothing
        with (upload_dir / row.storage_name).open("wb") as out:
            for _ in range(size // len(block)):
                out.write(block)
        db.session.execute(update(Attachment).where(Attachment.id == row.id).values(size=size))
        db.session.commit()

        user = db.session.get(User, f["id"])
        plan = dossier.prepare(user, job["id"], upload_dir=upload_dir)
        target = tmp_path / "big.zip"
        tracemalloc.start()
        try:
            with target.open("wb") as out:
                largest = 0
                for piece in dossier.chunks(plan):
                    largest = max(largest, len(piece))
                    out.write(piece)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        db.session.remove()
    print(f"peak traced memory {peak / 1e6:.1f} MB, largest piece {largest / 1e6:.1f} MB for a {size / 1e6:.0f} MB file")
    assert peak < 12 * 1024 * 1024 and largest < 4 * 1024 * 1024
    folder = unzip(target.read_bytes(), tmp_path / "out")
    assert (folder / f"files/{small['id']}-big.bin").stat().st_size == size
    assert run_verifier(folder).returncode == 0


def test_kept_diary_snapshots_are_in_the_dossier_and_deleted_ones_are_not(app, api, people, job, tmp_path):
    from PIL import Image

    from workspace.extensions import socketio

    f = people["freelancer"]
    api.ok("PUT", f"/jobs/{job['id']}/diary/settings", f, {"snapshot_seconds": 300})
    publisher = socketio.test_client(app, auth={"token": f["token"]})
    try:
        assert publisher.emit("join", {"job": job["id"]}, callback=True)["ok"]
        session = publisher.emit("live_start", {"job": job["id"], "title": "Inking"}, callback=True)["session"]
        shots = []
        for colour in ((200, 30, 30), (30, 200, 30)):
            picture = io.BytesIO()
            Image.new("RGB", (64, 48), colour).save(picture, "JPEG")
            response = api.call("POST", f"/jobs/{job['id']}/sessions/{session['id']}/snapshots", f,
                                data={"file": (io.BytesIO(picture.getvalue()), "s.jpg")},
                                content_type="multipart/form-data")
            assert response.status_code == 201, response.get_json()
            shots.append((response.get_json()["snapshot"], picture.getvalue()))
        api.ok("DELETE", f"/snapshots/{shots[1][0]['id']}", f)
        publisher.emit("live_stop", {"job": job["id"]}, callback=True)
    finally:
        publisher.disconnect()

    folder = unzip(download(api, people["viewer"], job["id"]), tmp_path)
    diary = sorted(p.relative_to(folder).as_posix() for p in (folder / "diary").iterdir())
    kept_file = shots[0][0]["url"].rsplit("/", 1)[-1]
    assert len(diary) == 1 and diary[0].startswith(f"diary/{kept_file}-snapshot-") and diary[0].endswith(".jpg")
    assert (folder / diary[0]).read_bytes() == shots[0][1]
    assert not (folder / "files").exists()
    result = run_verifier(folder)
    assert result.returncode == 0, result.stdout


@SQLITE_ONLY  # file handling does not depend on the database
def test_a_file_erased_while_the_dossier_is_built_is_left_out_and_the_rest_verifies(app, people, seeded, tmp_path,
                                                                                     database_url):
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import dossier

    with app.app_context():
        plan = dossier.prepare(db.session.get(User, people["client"]["id"]), seeded["job"],
                               upload_dir=Path(app.config["UPLOAD_DIR"]))
        assert len(plan.files) == 2
        plan.files[0].path.unlink()  # the message was deleted after the listing
        out = io.BytesIO()
        dossier.write(plan, out)
        db.session.remove()
    folder = unzip(out.getvalue(), tmp_path)
    assert not (folder / plan.files[0].name).exists() and (folder / plan.files[1].name).exists()
    assert plan.files[0].name not in (folder / "index.html").read_text()
    assert plan.files[0].name not in json.loads((folder / "manifest.json").read_text())["files"]
    assert run_verifier(folder).returncode == 0


@SQLITE_ONLY  # the zip's format does not depend on the database
def test_big_entries_get_zip64_headers_and_still_verify(app, api, people, seeded, tmp_path, database_url, monkeypatch):
    """Entries past ZIP64_FROM (1 GiB; lowered here) are written with ZIP64 headers, as a 2 GB
    attachment would be; the zip still reads and verifies."""
    from workspace.services import dossier

    monkeypatch.setattr(dossier, "ZIP64_FROM", 1)
    data = download(api, people["client"], seeded["job"])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = [i for i in zf.infolist() if "/files/" in i.filename]
    assert infos
    for info in infos:  # each local header carries the ZIP64 extra field (id 0x0001)
        name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
        extra = data[info.header_offset + 30 + name_len:info.header_offset + 30 + name_len + extra_len]
        assert extra[:2] == b"\x01\x00", info.filename
    assert run_verifier(unzip(data, tmp_path)).returncode == 0


def test_a_real_server_streams_the_dossier_in_chunks(live_server, tmp_path):
    """Over real HTTP from the eventlet server: chunked (no Content-Length: sent as it is written), whole
    when it ends, and it verifies; nothing in the server's log."""
    import requests

    f = live_server.signup("freelancer")
    job = live_server.api("POST", "/jobs", f, {"title": "Streamed"}, status=201).json()["job"]
    upload = live_server.api("POST", f"/jobs/{job['id']}/attachments", f,
                             files={"file": ("notes.txt", b"chunk me " * 50_000, "text/plain")}, status=201)
    live_server.api("POST", f"/jobs/{job['id']}/messages", f,
                    {"body": "Notes", "attachments": [upload.json()["attachment"]["id"]]}, status=201)
    target = tmp_path / "streamed.zip"
    with requests.get(f"{live_server.url}/api/v1/jobs/{job['id']}/dossier.zip", stream=True, timeout=30,
                      headers={"Authorization": f"Bearer {f['token']}"}) as response:
        assert response.status_code == 200
        assert response.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in response.headers
        pieces = 0
        with target.open("wb") as out:
            for piece in response.iter_content(chunk_size=None):
                out.write(piece)
                pieces += 1
    assert pieces > 1
    result = run_verifier(unzip(target.read_bytes(), tmp_path))
    assert result.returncode == 0, result.stdout
    assert live_server.app_tracebacks() == []
