"""The browser checks the room's hash chain (issue 11, "History anyone can verify"), in Chromium.

Units (static/js/chain-verify.js, imported as the page does): its canonical JSON is Python's
json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) byte for byte; its hash of real
events fetched from a live server is the server's (a message in non-ASCII text, one with quotes and
control characters, a deleted message, an agreement, progress); a run with a changed field or a broken
link is caught; the server's signed checkpoint verifies with Web Crypto's Ed25519 and a forged one does
not; comparing a kept head with what is served names the changed event and the missing ones.

End to end (the issue's test): the room is loaded (the head is kept in localStorage), then the database is
edited between two page loads — (a) one event's data rewritten and the chain re-hashed from there, (b) the
newest events deleted and jobs.last_seq lowered — and each time the second load shows the red banner
naming what differs, with the dossier link; a normal second load after new messages (and a deleted
message) shows none.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import log_in, open_room
from tests.sockets import job_with_people
from tests.support import terms
from workspace.domain.chain import GENESIS_HASH, canonical_event, canonical_json, data_digest, link

pytestmark = pytest.mark.browser

MODULE = "/static/js/chain-verify.js"


def _events(server: Any, who: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    out, after = [], 0
    while True:
        page = server.api("GET", f"/jobs/{job_id}/events?after={after}&limit=500", who, status=200).json()
        out += page["events"]
        if not page["more"]:
            return out
        after = out[-1]["seq"]


def _post(server: Any, who: dict[str, Any], job_id: str, body: str) -> dict[str, Any]:
    return server.api("POST", f"/jobs/{job_id}/messages", who, {"body": body}, status=201).json()["event"]


def _server_hash(e: dict[str, Any]) -> str:
    """The hash as domain/chain.py computes it from the wire fields."""
    actor = e["actor"]["id"] if e["actor"] else None
    return link(e["prev_hash"], canonical_event(e["job"], e["seq"], e["type"], e["at"], actor, e["data_digest"]))


# ---------------------------------------------------------------- units, on a shared server

@pytest.fixture
def page(shared_server, contexts):
    page = contexts().new_page()
    page.goto(shared_server.url + "/login")
    return page


def test_canonical_json_is_pythons_byte_for_byte(page):
    values = [
        None, True, False, 0, -7, 2**53 - 1, "", "plain", "Grüße aus Köln — ✓ 日本語 😀",
        "quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 nul \x00 esc \x1b del \x7f",
        "line sep \u2028 para sep \u2029 nbsp \u00a0 bom \ufeff",
        {"b": 1, "a": [1, "x", None, {"é": 2, "e": 3, "z": {"y": None}}]},
        {"\U0001F600": 1, "\uffff": 2, "a": 3, "Z": 4, "é": 5},  # code point order (astral after U+FFFF)
        {"job": "J1", "seq": 12, "type": "message.posted", "at": "2026-11-26T18:00:00.123456Z",
         "actor_id": None, "data_digest": "ab" * 32},
        [],
        {},
    ]
    shown = page.evaluate("""async ([values, module]) => {
        const { canonicalJson } = await import(module);
        return values.map((v) => Array.from(new TextEncoder().encode(canonicalJson(v))));
    }""", [values, MODULE])
    for value, js_bytes in zip(values, shown):
        assert bytes(js_bytes) == canonical_json(value).encode(), value
    refused = page.evaluate("""async (module) => {
        const { canonicalJson } = await import(module);
        const fails = (v) => { try { canonicalJson(v); return false; } catch { return true; } };
        return [fails(1.5), fails(2 ** 60), fails("\\ud800 lone"), fails(undefined), fails(() => 1)];
    }""", MODULE)
    assert refused == [True, True, True, True, True]


def test_the_browsers_hash_is_the_servers_for_real_events(shared_server, page):
    server = shared_server
    job, people = job_with_people(server)
    f, c = people["freelancer"], people["client"]
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": proposed["terms_hash"]}, status=200)
    _post(server, f, job["id"], "Grüße aus Köln — ✓ 日本語 😀 «ça va?»")
    _post(server, c, job["id"], 'He said "no" \\ then\nleft\ttab')
    gone = _post(server, c, job["id"], "My IBAN: DE89 3704 0044 0532 0130 00 — please delete")
    server.api("DELETE", f"/jobs/{job['id']}/messages/{gone['data']['message']['id']}", c, status=200)
    server.api("POST", f"/jobs/{job['id']}/progress", f, {"percent": 40, "note": "Skizzen für «Logo»"}, status=201)
    events = _events(server, c, job["id"])
    types = {e["type"] for e in events}
    assert {"message.posted", "message.deleted", "agreement.accepted", "progress.posted", "member.joined"} <= types
    erased = next(e for e in events if e["type"] == "message.posted" and e["data"]["message"]["id"] == gone["data"]["message"]["id"])
    assert "IBAN" not in json.dumps(erased["data"])  # the content is erased; its digest still links
    assert [_server_hash(e) for e in events] == [e["hash"] for e in events]  # the rule, as Python has it

    result = page.evaluate("""async ([events, module]) => {
        const { eventHash, canonicalBytes, verifyRun } = await import(module);
        const hashes = [];
        for (const e of events) hashes.push(await eventHash(e));
        const bytes = events.map((e) => new TextDecoder().decode(canonicalBytes(e)));
        const run = await verifyRun(events);
        return { hashes, bytes, problems: run.problems };
    }""", [events, MODULE])
    assert result["hashes"] == [e["hash"] for e in events]
    for e, text in zip(events, result["bytes"]):
        actor = e["actor"]["id"] if e["actor"] else None
        assert text == e["prev_hash"] + canonical_json(
            canonical_event(e["job"], e["seq"], e["type"], e["at"], actor, e["data_digest"]))
    assert result["problems"] == []


def test_the_browser_checks_each_events_content_against_its_digest(shared_server, page):
    """factsOf (the browser) gives the facts Python's wire.facts_of_wire gives, for every kind of entity
    a real history carries; their sha256 is each event's data_digest. Content changed without its digest
    (a database edited behind the server's back) is a "content" problem; an erased version is not checked."""
    import requests

    from workspace.services.wire import facts_of_wire

    server = shared_server
    job, people = job_with_people(server)
    f, c = people["freelancer"], people["client"]
    proposed = server.api("POST", f"/jobs/{job['id']}/agreements", f, terms(), status=201).json()["agreement"]
    server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", c, {"terms_hash": proposed["terms_hash"]}, status=200)
    upload = requests.post(f"{server.url}/api/v1/jobs/{job['id']}/attachments",
                           files={"file": ("sheet.pdf", b"%PDF-1.4 sheet\n" * 20, "application/pdf")},
                           headers={"Authorization": f"Bearer {f['token']}"}, timeout=15)
    assert upload.status_code == 201, upload.text
    milestone = server.api("GET", f"/jobs/{job['id']}", f, status=200).json()["job"]["milestones"][0]["id"]
    server.api("POST", f"/milestones/{milestone}/submit", f,
               {"note": "Two **concepts**", "attachments": [upload.json()["attachment"]["id"]]}, status=200)
    first = _post(server, f, job["id"], "Here *it* is")
    server.api("POST", f"/jobs/{job['id']}/messages", c,
               {"body": "Thanks\nline two", "reply_to": first["data"]["message"]["id"]}, status=201)
    gone = _post(server, c, job["id"], "to be deleted")
    server.api("DELETE", f"/jobs/{job['id']}/messages/{gone['data']['message']['id']}", c, status=200)
    server.api("POST", f"/jobs/{job['id']}/progress", f, {"percent": 40, "note": "Layout *done*"}, status=201)
    events = _events(server, c, job["id"])
    assert {"milestone.submitted", "agreement.in_force", "progress.posted"} <= {e["type"] for e in events}

    result = page.evaluate("""async ([events, module]) => {
        const { factsOf, contentMatches, verifyRun } = await import(module);
        const matches = [];
        for (const e of events) matches.push(await contentMatches(e));
        const edited = events.map((e) => structuredClone(e));
        const target = edited.find((e) => e.type === "progress.posted");
        target.data.progress.note = "Layout not even started";
        const run = await verifyRun(edited);
        return { facts: events.map(factsOf), matches, problems: run.problems, seq: target.seq };
    }""", [events, MODULE])
    assert result["facts"] == [facts_of_wire(e["type"], e["data"]) for e in events]
    erased = [e["seq"] for e in events if (e["data"].get("message") or {}).get("erased")]
    assert erased and all(m is None for e, m in zip(events, result["matches"]) if e["seq"] in erased)
    assert all(m is True for e, m in zip(events, result["matches"]) if e["seq"] not in erased), result["matches"]
    assert result["problems"] == [{"kind": "content", "seq": result["seq"]}]


def test_a_changed_field_or_a_broken_link_is_caught(shared_server, page):
    job, people = job_with_people(shared_server)
    for n in range(4):
        _post(shared_server, people["freelancer"], job["id"], f"Message {n}")
    events = _events(shared_server, people["client"], job["id"])
    n = len(events)
    result = page.evaluate("""async ([events, module]) => {
        const { verifyRun, GENESIS_HASH } = await import(module);
        const copy = () => events.map((e) => structuredClone(e));
        const cases = {};
        let run = copy(); run[2].type = "message.deleted"; cases.type = (await verifyRun(run)).problems;
        run = copy(); run[2].actor = null; cases.actor = (await verifyRun(run)).problems;
        run = copy(); run[2].data_digest = "0".repeat(64); cases.digest = (await verifyRun(run)).problems;
        run = copy(); run[0].prev_hash = "1".repeat(64); cases.genesis = (await verifyRun(run)).problems;
        run = copy(); run.splice(1, 1); cases.gap = (await verifyRun(run)).problems;  // no link to check: fine
        // A page of older history links to what the page had: the first later event must follow it.
        const later = await verifyRun(events.slice(3));
        cases.older = (await verifyRun(events.slice(0, 3), later.checked)).problems;
        const forged = copy().slice(0, 3); forged[2].hash = "f".repeat(64);
        cases.olderForged = (await verifyRun(forged, later.checked)).problems;
        cases.genesisIs = GENESIS_HASH;
        return cases;
    }""", [events, MODULE])
    assert result["type"] == result["actor"] == result["digest"] == [{"kind": "hash", "seq": 3}]
    assert result["genesis"] == [{"kind": "hash", "seq": 1}, {"kind": "link", "seq": 1}]
    assert result["gap"] == [] and result["older"] == [] and n > 4
    assert result["olderForged"] == [{"kind": "hash", "seq": 3}, {"kind": "link", "seq": 4}]
    assert result["genesisIs"] == GENESIS_HASH


def test_the_signed_checkpoint_verifies_with_web_crypto_ed25519(shared_server, page):
    job, people = job_with_people(shared_server)
    _post(shared_server, people["freelancer"], job["id"], "Signed")
    signed = shared_server.api("GET", f"/jobs/{job['id']}/checkpoint", people["client"], status=200).json()
    keys = shared_server.api("GET", "/keys", status=200).json()["keys"]
    result = page.evaluate("""async ([signed, keys, module]) => {
        const { verifyCheckpoint } = await import(module);
        const forged = (field, value) => verifyCheckpoint({ ...signed, checkpoint: { ...signed.checkpoint, [field]: value } }, keys);
        return {
            real: await verifyCheckpoint(signed, keys),
            seq: await forged("seq", signed.checkpoint.seq - 1),
            hash: await forged("hash", "0".repeat(64)),
            at: await forged("at", "2020-01-01T00:00:00.000000Z"),
            unknownKey: await verifyCheckpoint({ ...signed, key_id: "nope" }, keys),
        };
    }""", [signed, keys, MODULE])
    # Debian's Chromium has Ed25519 in Web Crypto (null would mean "not supported: kept by hash only").
    assert result == {"real": True, "seq": False, "hash": False, "at": False, "unknownKey": False}
    # A browser without it: the head is kept by its hash, unsigned (no checkpoint to offer as proof).
    fallback = page.evaluate("""async ([signed, keys, module]) => {
        const { verifyCheckpoint, keptRecord } = await import(module);
        const real = crypto.subtle.importKey;
        crypto.subtle.importKey = async () => { throw new DOMException("no Ed25519", "NotSupportedError"); };
        try {
            const verdict = await verifyCheckpoint(signed, keys);
            const kept = keptRecord({ checkpoint: signed, signed: verdict, seenAt: "now", hashes: new Map() });
            return { verdict, signed: kept.signed, checkpoint: kept.checkpoint, seq: kept.seq, hash: kept.hash };
        } finally { crypto.subtle.importKey = real; }
    }""", [signed, keys, MODULE])
    assert fallback == {"verdict": None, "signed": False, "checkpoint": None,
                        "seq": signed["checkpoint"]["seq"], "hash": signed["checkpoint"]["hash"]}


def test_comparing_with_a_kept_head_names_what_differs(page):
    result = page.evaluate("""async (module) => {
        const { compareWithKept, keptRecord, describe } = await import(module);
        const h = (seq, v = "a") => v.repeat(48) + String(seq).padStart(16, "0");
        const chain = (n, changedFrom = Infinity) => new Map(Array.from({ length: n }, (_, i) => {
            const seq = i + 1;
            const v = seq >= changedFrom ? "b" : "a";
            return [seq, { hash: h(seq, v), prev: seq === 1 ? "0".repeat(64) : h(seq - 1, seq - 1 >= changedFrom ? "b" : "a") }];
        }));
        const seen = chain(15);
        const signed = { checkpoint: { job: "J", seq: 15, hash: h(15), at: "2026-11-26T10:00:00.000000Z" }, signature: "s", key_id: "k" };
        const kept = keptRecord({ checkpoint: signed, signed: true, seenAt: "2026-11-26T10:00:05.000Z", hashes: seen });
        const out = {
            kept: { from: kept.from, seq: kept.seq, len: kept.hashes.length, signed: kept.signed, has: !!kept.checkpoint },
            same: compareWithKept(kept, chain(20), 20),
            rewritten: compareWithKept(kept, chain(20, 12), 20),
            cut: compareWithKept(kept, chain(12), 12),
            gap: compareWithKept(kept, new Map([...chain(20)].filter(([s]) => s < 5 || s > 7)), 20),
            nothingKept: compareWithKept(null, chain(3), 3),
        };
        // A window that starts later: a change before it shows as its first event linking elsewhere.
        const late = { ...kept, from: 10, prev: h(9), hashes: kept.hashes.slice(9 * 16) };
        out.before = compareWithKept(late, chain(20, 4), 20);
        const when = (iso) => `<${iso}>`;
        out.words = [...out.rewritten, ...out.cut, ...out.gap, ...out.before, { kind: "missing", from: 3, to: 3 },
                     { kind: "hash", seq: 2 }, { kind: "link", seq: 5 }].map((p) => describe(p, kept, when));
        return out;
    }""", MODULE)
    assert result["kept"] == {"from": 1, "seq": 15, "len": 15 * 16, "signed": True, "has": True}
    assert result["same"] == [] and result["nothingKept"] == []
    assert result["rewritten"] == [{"kind": "changed", "seq": 12}]
    assert result["cut"] == [{"kind": "missing", "from": 13, "to": 15}]
    assert result["gap"] == [{"kind": "missing", "from": 5, "to": 7}]
    assert result["before"] == [{"kind": "before", "seq": 10}]
    seen = "since you last saw it on <2026-11-26T10:00:05.000Z>"
    assert result["words"] == [
        f"Event 12 changed {seen}.", "Events 13–15 are missing.", "Events 5–7 are missing.",
        f"The history before event 10 changed {seen}.", "Event 3 is missing.",
        "Event 2 does not match its hash.", "Event 5 does not follow event 4."]


CHECK_SCRIPT = """async ([events, kept, module]) => {
    // The room's checker with stand-ins for the network and storage (the DOM banner is real).
    const { ChainCheck } = await import(module);
    const banner = document.createElement("div");
    banner.hidden = true;
    document.body.append(banner);
    const store = new Map(kept ? [[`workspace.chain.${events[0].job}`, JSON.stringify(kept)]] : []);
    const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
    const calls = [];
    const fetchJson = async (method, path) => { calls.push(path); return { ok: false }; };
    const check = new ChainCheck({ job: events[0].job, banner, storage, fetchJson, when: (iso) => "then" });
    return { check, banner, calls };
}"""


def test_an_event_arriving_with_a_hash_that_does_not_recompute_shows_the_banner(shared_server, page):
    job, people = job_with_people(shared_server)
    for n in range(3):
        _post(shared_server, people["freelancer"], job["id"], f"Message {n}")
    events = _events(shared_server, people["client"], job["id"])
    result = page.evaluate("""async ([events, module, script]) => {
        const { check, banner, calls } = await (eval(script))([events, null, module]);
        check.received(events.slice(0, 4));
        check.received([{ ...events[4], data_digest: "0".repeat(64) }]);  // a live event, changed in transit
        check.received(events.slice(5));
        await check.work;
        return { hidden: banner.hidden, state: banner.dataset.state, text: banner.innerText, calls };
    }""", [events, MODULE, CHECK_SCRIPT])
    assert result["hidden"] is False and result["state"] == "differs"
    assert "Event 5 does not match its hash." in result["text"]
    assert "Download the dossier" in result["text"] and result["calls"] == []  # nothing kept: no proof offered


def test_a_gap_in_the_servers_own_page_is_reported_not_rejoined(page):
    result = page.evaluate("""async (module) => {
        const { RoomLog } = await import("/static/js/room-log.js");
        const gaps = [], received = [], settled = [];
        const chain = { gap: (a, b) => gaps.push([a, b]), received: (es) => received.push(...es.map((e) => e.seq)),
                        settled: (head) => settled.push(head) };
        let joins = 0;
        const ev = (seq) => ({ job: "J", seq, type: "message.posted", data: {} });
        const socket = {
            connected: false, io: { on() {} }, on() {}, timeout() { return this; },
            async emitWithAck() { joins += 1; return { ok: true, events: joins === 1 ? [ev(1), ev(2), ev(6), ev(7)] : [], more: false }; },
        };
        const log = new RoomLog({ socket, job: "J", chain, onEvents: () => {} });
        await log.join();
        await new Promise((r) => setTimeout(r, 50));
        return { gaps, received, settled, joins, last: log.lastSeq };
    }""", MODULE)
    assert result == {"gaps": [[3, 5]], "received": [1, 2, 6, 7], "settled": [7], "joins": 1, "last": 7}


# ---------------------------------------------------------------- end to end: the database edited between loads

def _db(server: Any) -> sqlite3.Connection:
    assert server.database_url.startswith("sqlite:///")
    return sqlite3.connect(server.database_url.removeprefix("sqlite:///"), timeout=10)


def _rewrite(server: Any, who: dict[str, Any], job_id: str, seq: int, body: str) -> None:
    """Change one message event's stored data, recompute its digest and every hash from there (as
    tests/test_dossier.py's database rewrite does): the chain in the database is consistent again."""
    events = {e["seq"]: e for e in _events(server, who, job_id)}
    with _db(server) as db:
        (job_pk,) = db.execute("SELECT id FROM jobs WHERE public_id = ?", (job_id,)).fetchone()
        (raw,) = db.execute("SELECT data FROM events WHERE job_id = ? AND seq = ?", (job_pk, seq)).fetchone()
        data = json.loads(raw)
        data["message"]["body"] = body
        prev = events[seq]["prev_hash"]
        for s in range(seq, max(events) + 1):
            e = events[s]
            digest = data_digest(data) if s == seq else e["data_digest"]
            new = link(prev, canonical_event(job_id, s, e["type"], e["at"], e["actor"]["id"] if e["actor"] else None,
                                             digest))
            db.execute("UPDATE events SET data = COALESCE(?, data), data_digest = ?, prev_hash = ?, hash = ? "
                       "WHERE job_id = ? AND seq = ?",
                       (json.dumps(data) if s == seq else None, digest, prev, new, job_pk, s))
            prev = new
    again = _events(server, who, job_id)
    assert [_server_hash(e) for e in again] == [e["hash"] for e in again]  # consistent on its own
    assert again[seq - 1]["hash"] != events[seq]["hash"]


def _cut(server: Any, job_id: str, keep: int) -> None:
    """Delete the events after `keep` and lower jobs.last_seq to it."""
    with _db(server) as db:
        (job_pk,) = db.execute("SELECT id FROM jobs WHERE public_id = ?", (job_id,)).fetchone()
        db.execute("DELETE FROM events WHERE job_id = ? AND seq > ?", (job_pk, keep))
        db.execute("UPDATE jobs SET last_seq = ? WHERE id = ?", (keep, job_pk))


def _checked(page: Any) -> dict[str, Any]:
    """Wait until the room has checked its history and kept the head; what it kept."""
    page.wait_for_function("() => document.getElementById('chain-banner').dataset.state === 'checked'")
    return page.evaluate("(job) => JSON.parse(localStorage.getItem(`workspace.chain.${job}`))",
                         page.url.rstrip("/").split("/")[-1])


def _banner(page: Any) -> str:
    page.wait_for_function("() => document.getElementById('chain-banner').dataset.state === 'differs'")
    banner = page.locator("#chain-banner")
    assert banner.is_visible()
    text = banner.inner_text()
    print(text)  # shown with -s: what a member reads
    return text


@pytest.fixture
def room(live_server, contexts):
    """A job with 60 messages (more than the room opens at) and the client's page in its room."""
    job, people = job_with_people(live_server)
    for n in range(60):
        _post(live_server, people["freelancer" if n % 2 else "client"], job["id"], f"Message {n} — ünïcödé")
    page = contexts().new_page()
    log_in(page, live_server, people["client"])
    open_room(page, live_server, job["id"])
    return live_server, job, people, page


def test_a_normal_second_load_after_new_messages_shows_no_banner(room):
    server, job, people, page = room
    kept = _checked(page)
    head = _events(server, people["client"], job["id"])[-1]
    assert (kept["seq"], kept["hash"], kept["signed"]) == (head["seq"], head["hash"], True)
    assert kept["checkpoint"]["checkpoint"]["seq"] == head["seq"]
    assert set(kept["checkpoint"]) == {"checkpoint", "signature", "key_id", "alg"}  # the server's words, whole
    assert page.locator("#chain-banner").is_hidden()
    # Closed, then news: three messages, and one message seen before is deleted (its content erased).
    page.goto("about:blank")
    for n in range(3):
        _post(server, people["freelancer"], job["id"], f"While you were away {n}")
    seen = next(e for e in _events(server, people["client"], job["id"])
                if e["type"] == "message.posted" and e["data"]["message"]["body"].startswith("Message 58"))
    server.api("DELETE", f"/jobs/{job['id']}/messages/{seen['data']['message']['id']}", people["client"], status=200)
    open_room(page, server, job["id"])
    again = _checked(page)
    assert again["seq"] == head["seq"] + 4 and page.locator("#chain-banner").is_hidden()
    # Live events are checked too, and the kept head follows them (a little after they arrive).
    _post(server, people["freelancer"], job["id"], "Live one")
    page.locator(".prose", has_text="Live one").wait_for()
    page.wait_for_function("(job) => JSON.parse(localStorage.getItem(`workspace.chain.${job}`)).seq === %d"
                           % (head["seq"] + 5), arg=job["id"], timeout=15_000)
    assert page.locator("#chain-banner").is_hidden()


def _saved(page: Any, link: Any, into: Path, unzip: bool = False) -> Path:
    """Click a download link in the page; the file saved (or the zip's folder, unzipped)."""
    with page.expect_download() as download:
        link.click()
    path = into / download.value.suggested_filename
    download.value.save_as(path)
    if not unzip:
        return path
    with zipfile.ZipFile(path) as zf:
        zf.extractall(into / "unzipped")
    (folder,) = [p for p in (into / "unzipped").iterdir() if p.is_dir()]
    return folder


def _verify(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The dossier's verify.py as a stranger runs it (the system Python, isolated), as in test_dossier.py."""
    return subprocess.run(["/usr/bin/python3", "-I", "verify.py", *args], cwd=folder, capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_an_event_rewritten_and_rehashed_in_the_database_shows_the_banner(room, tmp_path):
    server, job, people, page = room
    kept = _checked(page)
    victim = next(e for e in _events(server, people["client"], job["id"])
                  if e["type"] == "message.posted" and e["data"]["message"]["body"].startswith("Message 3 "))
    assert victim["seq"] < kept["seq"] - 50  # before what the room opens at: the check fetches it
    page.goto("about:blank")
    _rewrite(server, people["client"], job["id"], victim["seq"], "Message 3 — I never agreed to this")
    open_room(page, server, job["id"])
    text = _banner(page)
    assert f"Event {victim['seq']} changed since you last saw it on" in text
    assert "missing" not in text
    dossier = page.locator("#chain-banner a", has_text="Download the dossier")
    assert dossier.get_attribute("href") == f"/jobs/{job['id']}/dossier.zip"
    head = page.locator("#chain-banner a", has_text="the signed head this browser kept")
    assert head.get_attribute("download") == f"{job['id']}-head-{kept['seq']}.json"
    # The proof: the dossier served now verifies on its own, but not against the head the browser kept.
    proof = tmp_path / "proof"  # tmp_path is also the server's instance folder
    proof.mkdir()
    folder = _saved(page, dossier, proof, unzip=True)
    kept_file = _saved(page, head, proof)
    assert json.loads(kept_file.read_text()) == kept["checkpoint"]
    assert _verify(folder).returncode == 0
    result = _verify(folder, "--checkpoint", str(kept_file))
    assert result.returncode == 1
    assert f"the signed head is seq {kept['seq']}" in result.stdout, result.stdout
    # The evidence stays: the head kept before is not replaced, so the next load says the same.
    assert page.evaluate("(job) => JSON.parse(localStorage.getItem(`workspace.chain.${job}`)).hash", job["id"]) == kept["hash"]
    page.reload()
    page.wait_for_function("() => document.body.dataset.connection === 'live'")
    assert f"Event {victim['seq']} changed" in _banner(page)


def test_the_newest_events_deleted_in_the_database_show_the_banner(room):
    server, job, people, page = room
    kept = _checked(page)
    page.goto("about:blank")
    _cut(server, job["id"], kept["seq"] - 3)
    assert _events(server, people["client"], job["id"])[-1]["seq"] == kept["seq"] - 3
    open_room(page, server, job["id"])
    text = _banner(page)
    assert f"Events {kept['seq'] - 2}–{kept['seq']} are missing." in text
    assert "changed" not in text.split("\n", 1)[1].split("Download")[0]  # only what is missing is named
    assert page.locator("#chain-banner a", has_text="Download the dossier").get_attribute("href") \
        == f"/jobs/{job['id']}/dossier.zip"
    from tests.test_browser_a11y import BLOCKING, axe_violations, describe

    in_banner = [v for v in axe_violations(page) if v["impact"] in BLOCKING
                 and any("chain-banner" in str(node["target"]) for node in v["nodes"])]
    assert not in_banner, describe(in_banner)


def test_an_unchecked_room_has_no_banner_on_first_load(live_server, contexts):
    """A first visit has nothing kept: it checks what it receives and keeps the head, silently."""
    job, people = job_with_people(live_server)
    _post(live_server, people["freelancer"], job["id"], "Hello")
    page = contexts().new_page()
    log_in(page, live_server, people["viewer"])
    open_room(page, live_server, job["id"])
    kept = _checked(page)
    assert kept["from"] == 1 and len(kept["hashes"]) == 16 * kept["seq"] and kept["prev"] == GENESIS_HASH
    assert page.locator("#chain-banner").is_hidden()


def test_content_edited_in_the_database_shows_the_banner_on_a_first_visit(room, contexts):
    """A message's text changed in the database with its digest left as it was (the links still hold):
    a browser that never saw the job before says its history does not check out, naming the event."""
    server, job, people, page = room
    target = _events(server, people["client"], job["id"])[-1]
    with _db(server) as db:
        (job_pk,) = db.execute("SELECT id FROM jobs WHERE public_id = ?", (job["id"],)).fetchone()
        db.execute("UPDATE events SET data = json_set(data, '$.message.body', 'I never wrote this') "
                   "WHERE job_id = ? AND seq = ?", (job_pk, target["seq"]))
    viewer = contexts().new_page()
    log_in(viewer, server, people["viewer"])
    open_room(viewer, server, job["id"])
    text = _banner(viewer)
    assert "does not check out" in text and f"What event {target['seq']} says is not what was recorded" in text
