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


# ---------------------------------------------------------------- times in the viewer's zone (time.js)

@pytest.fixture
def new_york(shared_server, contexts):
    page = contexts(timezone_id="America/New_York", locale="en-US").new_page()
    page.goto(shared_server.url + "/login")
    return page


FORMAT = """async ([iso, format, options]) => {
    const { formatTime } = await import("/static/js/time.js");
    return formatTime(iso, format, options || {});
}"""


def test_a_deadline_shows_in_the_viewers_zone_with_the_zone_named(new_york):
    # The end of 26 Dec 2026 on the server's clock (UTC) is 18:59 in New York, 00:59 the next day in Berlin.
    assert new_york.evaluate(FORMAT, ["2026-12-26T23:59:59Z", "deadline", None]) == "Dec 26, 2026, 18:59 EST"
    assert new_york.evaluate(FORMAT, ["2026-07-01T23:59:59Z", "deadline", None]) == "Jul 1, 2026, 19:59 EDT"
    assert new_york.evaluate(FORMAT, ["2026-12-26T23:59:59Z", "deadline", {"timeZone": "Europe/Berlin"}]) \
        == "Dec 27, 2026, 00:59 GMT+1"
    assert new_york.evaluate(FORMAT, ["2026-12-26T23:59:59Z", "datetime", None]) == "Dec 26, 2026, 18:59"
    assert new_york.evaluate(FORMAT, ["2026-12-26T03:30:00Z", "date", None]) == "Fri, Dec 25, 2026"
    assert new_york.evaluate(FORMAT, ["2026-12-26T03:30:00Z", "time", None]) == "22:30"
    # A calendar day without a moment is that day everywhere.
    assert new_york.evaluate(FORMAT, ["2026-12-26", "day", None]) == "Sat, Dec 26, 2026"
    assert new_york.evaluate(FORMAT, ["not a time", "datetime", None]) == ""


def test_every_time_element_is_localized_also_those_added_later(new_york):
    result = new_york.evaluate("""async () => {
        await import("/static/js/time.js");
        const add = (iso, format) => {
            const t = document.createElement("time");
            t.setAttribute("datetime", iso);
            t.dataset.format = format;
            t.textContent = "server text";
            document.body.append(t);
            return t;
        };
        const later = add("2026-12-26T23:59:59Z", "deadline");
        const bad = add("garbage", "datetime");
        await new Promise((r) => setTimeout(r, 50));  // the MutationObserver's turn
        return [later.textContent, later.title, bad.textContent];
    }""")
    assert result == ["Dec 26, 2026, 18:59 EST", "Dec 26, 2026, 18:59 EST", "server text"]


# ---------------------------------------------------------------- one table of what events change

def test_every_event_type_the_server_records_has_its_effects_in_one_table(page):
    from workspace.domain import event_types as ev

    table = page.evaluate("""async () => {
        const { EFFECTS, effectsOf, timelineOf } = await import("/static/js/event-effects.js");
        const types = Object.keys(EFFECTS);
        return {
            types,
            news: Object.fromEntries(types.map((t) => [t, effectsOf({ type: t, seq: 10 }, 5)])),
            history: Object.fromEntries(types.map((t) => [t, effectsOf({ type: t, seq: 3 }, 5)])),
            timeline: Object.fromEntries(types.map((t) => [t, timelineOf(t)])),
            unknown: [timelineOf("something.new"), effectsOf({ type: "something.new", seq: 10 }, 5)],
        };
    }""")
    assert set(table["types"]) == set(ev.ALL)
    for type_ in ev.ALL:
        money = type_.split(".")[0] in ("milestone", "payment", "upfront", "review", "dispute") \
            or type_ in ("job.completed", "agreement.proposed", "agreement.accepted", "agreement.in_force",
                         "member.admitted", "member.joined", "member.removed")  # people: the job view's too
        assert ("job" in table["news"][type_]) == money, type_
        assert ("live" in table["news"][type_]) == (type_.startswith("session.") or type_ == "diary.settings_changed")
        assert "job" not in table["history"][type_] and "live" not in table["history"][type_]  # drawn already
    assert table["history"]["message.posted"] == ["typing", "pending"]
    assert table["timeline"]["snapshot.taken"] is None
    assert table["timeline"]["message.edited"] == "in-place"
    assert table["unknown"] == ["entry", []]


def test_effects_call_their_handlers_once_per_event_and_then_the_batch(page):
    calls = page.evaluate("""async () => {
        const { EventEffects } = await import("/static/js/event-effects.js");
        const calls = [];
        const effects = new EventEffects({ drawnAt: 5 })
            .on("job", (e) => calls.push(`job ${e.seq}`))
            .on("progress", (e) => calls.push(`progress ${e.seq}`))
            .afterEach((events) => calls.push(`batch ${events.length}`));
        effects.apply([{ type: "milestone.approved", seq: 4 }, { type: "progress.posted", seq: 5 },
                       { type: "payment.sent", seq: 6 }]);
        return calls;
    }""")
    assert calls == ["progress 5", "job 6", "batch 3"]


# ---------------------------------------------------------------- overdue: the server's flag, the clock's turn

def test_a_milestone_turns_overdue_when_the_moment_the_server_sent_passes(page):
    result = page.evaluate("""async () => {
        const { isOverdue, daysOverdue, nextTurn } = await import("/static/js/overdue.js");
        const at = Date.parse("2026-12-26T23:59:59Z");
        const open = { overdue: false, overdue_at: "2026-12-26T23:59:59Z", due_at: "2026-12-26T23:59:59Z" };
        const delivered = { overdue: false, overdue_at: null, due_at: "2026-12-26T23:59:59Z" };
        return [isOverdue(open, at - 1000), isOverdue(open, at + 1000), isOverdue(delivered, at + 86400000),
                isOverdue({ overdue: true, overdue_at: null }), daysOverdue(open, at + 1000),
                daysOverdue(open, at + 2 * 86400000 + 3600000), nextTurn([open, delivered], at - 5000)];
    }""")
    assert result == [False, True, False, True, 1, 3, 5000]


# ---------------------------------------------------------------- the code behind the page

def test_no_module_uses_state_declared_later_in_it():
    """Read as text: in every page module a top-level const/let is declared before any line that uses it,
    and the room's modules (room*.js) also call no function declared further down (hoisting let the old
    room.js call functions whose state was not made yet). room.js only puts the room's parts together."""
    import re
    from pathlib import Path

    strings = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
    late = []
    for path in sorted((Path(__file__).parent.parent / "workspace" / "static" / "js").glob("*.js")):
        lines = [strings.sub('""', line.split("//")[0]) for line in path.read_text().splitlines()]
        declaration = re.compile(r"(?:export )?(?:const|let|var) (\w+)" + (
            r"|(?:export )?(?:async )?function (\w+)" if path.name.startswith("room") else ""))
        for n, line in enumerate(lines):
            declared = declaration.match(line)
            if not declared:
                continue
            name = next(g for g in declared.groups() if g)
            use = re.compile(rf"(?<![.\w]){re.escape(name)}\b")
            late += [f"{path.name}:{m + 1} uses {name} (line {n + 1})" for m in range(n)
                     if not lines[m].lstrip().startswith("import ") and use.search(lines[m])]
    assert late == []
    assert len((Path(__file__).parent.parent / "workspace/static/js/room.js").read_text().splitlines()) < 150
