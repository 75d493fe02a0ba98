"""The browser's pure logic, run in Chromium as the pages load it (the ES modules under /static/js):
money text and typed amounts agree with domain/money.py for every currency, and the room's event log
drops duplicates, sorts, rejoins from its last seq on a gap and follows pages until `more` is false.
The log is driven by a scripted stand-in for the Socket.IO client (a library, not our code)."""
from __future__ import annotations

import random

import pytest

from workspace.domain.money import CURRENCIES, exponent, format_money, parse_major, to_major

pytestmark = pytest.mark.browser


@pytest.fixture
def page(shared_server, contexts):
    page = contexts().new_page()
    page.goto(shared_server.url + "/login")
    return page


def test_money_text_matches_the_server_for_every_currency(page):
    rng = random.Random(7)
    cases = [(code, amount) for code in CURRENCIES
             for amount in (0, 1, 7, 99, 100, 1000, 123456, -5050, rng.randrange(10**13))]
    shown = page.evaluate("""async (cases) => {
        const { formatMinor } = await import("/static/js/money.js");
        return cases.map(([code, amount, exp]) => formatMinor(amount, code, exp));
    }""", [[code, amount, exponent(code)] for code, amount in cases])
    assert shown == [format_money(amount, code) for code, amount in cases]


def test_typed_amounts_read_as_the_server_reads_them(page):
    samples = ["0", "1", "12.5", "1,250.50", "1 250.50", "250", "250.000", "1.2345", "abc", "", " 7 ", "1,25", "-3"]
    codes = ["EUR", "JPY", "KWD", "IQD", "HUF", "CLF"]
    typed = page.evaluate("""async ([samples, codes]) => {
        const { parseMajor } = await import("/static/js/money.js");
        return codes.map(([code, exp]) => samples.map((text) => parseMajor(text, exp)));
    }""", [samples, [[c, exponent(c)] for c in codes]])
    for (code, row) in zip(codes, typed):
        for text, minor in zip(samples, row):
            try:
                expected = parse_major(text, code)
            except ValueError:
                expected = None
            assert minor == expected, (code, text)
            if minor is not None:
                assert parse_major(to_major(minor, code), code) == minor


LOG_SCRIPT = """async (script) => {
    const { RoomLog } = await import("/static/js/room-log.js");
    const handlers = {}, joins = [], seen = [], statuses = [];
    const pages = script.pages;  // join replies, in order
    const socket = {
        connected: false, io: { on() {} },
        on(name, fn) { handlers[name] = fn; },
        timeout() { return this; },
        async emitWithAck(name, data) {
            joins.push(data.after);
            const reply = pages.shift() || { ok: true, events: [], more: false };
            if (reply.delay) await new Promise((r) => setTimeout(r, reply.delay));  // the server is slow
            return reply;
        },
    };
    const ev = (seq) => ({ job: "J", seq, type: "message.posted", data: {} });
    const log = new RoomLog({ socket, job: "J", after: script.after, onEvents: (events) => seen.push(...events.map((e) => e.seq)),
                              onStatus: (s) => statuses.push(s) });
    log.start();
    for (const step of script.steps) {
        if (step.connect) { log.join(); continue; }  // not awaited: events may arrive meanwhile
        handlers.event({ ...ev(step.seq), job: step.job || "J" });
        await new Promise((r) => setTimeout(r, 0));
    }
    await new Promise((r) => setTimeout(r, 100));
    return { seen, joins, last: log.lastSeq, statuses };
}"""


def _page(*seqs, more=False):
    return {"ok": True, "events": [{"job": "J", "seq": s, "type": "message.posted", "data": {}} for s in seqs], "more": more}


def test_the_log_drops_duplicates_and_other_jobs_and_keeps_order(page):
    result = page.evaluate(LOG_SCRIPT, {"after": 3, "pages": [], "steps": [
        {"seq": 4}, {"seq": 4}, {"seq": 3}, {"seq": 5, "job": "OTHER"}, {"seq": 5}]})
    assert result["seen"] == [4, 5] and result["last"] == 5 and result["joins"] == []


def test_a_gap_rejoins_from_the_last_seq_and_follows_pages(page):
    result = page.evaluate(LOG_SCRIPT, {"after": 2, "pages": [_page(3, 4, more=True), _page(5, 6)], "steps": [
        {"seq": 6}]})  # 3, 4, 5 missed: join from 2, then from 4
    assert result["joins"] == [2, 4]
    assert result["seen"] == [3, 4, 5, 6] and result["last"] == 6
    assert result["statuses"][-1] == "live"


def test_events_arriving_during_a_join_wait_and_are_not_doubled(page):
    result = page.evaluate(LOG_SCRIPT, {"after": 0, "pages": [{**_page(1, 2), "delay": 30}], "steps": [
        {"connect": True}, {"seq": 2}, {"seq": 3}]})  # 2 and 3 arrive while the join is on its way
    assert result["seen"] == [1, 2, 3] and result["joins"] == [0]
