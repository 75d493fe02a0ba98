"""The readable parts of a dossier: each agreement version (Markdown and PDF), the ledger as CSV, and the
offline index.html with the job's timeline. Pure rendering of views already read; all text is escaped."""
from __future__ import annotations

import csv
import io
from html import escape
from typing import Any, Iterable

from workspace.domain.money import format_money
from workspace.domain.notify_text import DISPUTE_EVENTS, describe

# ---------------------------------------------------------------- agreements


def _money(amount: Any, currency: str) -> str:
    return format_money(int(amount), currency) if isinstance(amount, int) else "—"


def _upfront(terms: dict[str, Any]) -> str:
    upfront = terms.get("upfront") or {}
    kind = upfront.get("kind")
    if kind == "all":
        return "everything up front"
    if kind == "portion":
        return f"{_money(upfront.get('amount'), terms['currency'])} up front"
    return "nothing up front"


def agreement_markdown(job_title: str, view: dict[str, Any]) -> str:
    """One version of the terms with who accepted it, as Markdown."""
    t = view["terms"]
    currency = t["currency"]
    lines = [
        f"# {job_title}: terms, version {view['version']}", "",
        f"- Status: {view['status']}",
        f"- Proposed by {view['proposed_by']['name']} at {view['proposed_at']}",
        f"- In force since: {view['in_force_at'] or '—'}",
        f"- Terms hash (sha256 of the canonical terms): `{view['terms_hash']}`", "",
        "## Scope", "", t["scope"], "",
        "## Money and dates", "",
        f"- Currency: {currency}; total {_money(view['total'], currency)}; {_upfront(t)}",
        f"- Deadline: {t['deadline']}",
        f"- Updates at least every {t['update_every_hours']} hours; "
        f"a submission with no answer is approved after {t['auto_approve_days']} days", "",
        "## Milestones", "",
        "| # | Milestone | Amount | Due | Revisions | Criteria |", "| --- | --- | --- | --- | --- | --- |",
    ]
    for i, m in enumerate(t["milestones"], 1):
        criteria = "; ".join(m.get("criteria") or []) or "—"
        lines.append(f"| {i} | {_cell(m['title'])} | {_money(m['amount'], currency)} | {m['due']} | "
                     f"{m.get('revisions', 0)} | {_cell(criteria)} |")
    lines += ["", "## Acceptances", ""]
    if view["acceptances"]:
        lines += [f"- {a['user']['name']} ({a['role']}) at {a['at']}, terms hash `{a['terms_hash']}`"
                  for a in view["acceptances"]]
    else:
        lines.append("- Nobody accepted this version.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def agreement_pdf(job_title: str, view: dict[str, Any]) -> bytes:
    """The same version as a PDF, drawn the way receipts and statements are (services/receipts.py)."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    from workspace.green import run_blocking
    from workspace.services.receipts import _para, _render, _table

    t = view["terms"]
    currency = t["currency"]
    flow = [
        _para(f"Terms, version {view['version']}", "Title"), _para(job_title, "Heading2"),
        _para(f"Status: {view['status']} · proposed by {view['proposed_by']['name']} at {view['proposed_at']} · "
              f"in force since {view['in_force_at'] or '—'}"),
        _para(f"Terms hash: {view['terms_hash']}", "Italic"),
        Spacer(1, 4 * mm), _para("Scope", "Heading3"),
        *[_para(paragraph) for paragraph in t["scope"].split("\n\n")],
        Spacer(1, 4 * mm), _para("Money and dates", "Heading3"),
        _table([["Currency", currency], ["Total", _money(view["total"], currency)], ["Up front", _upfront(t)],
                ["Deadline", t["deadline"]], ["Updates", f"at least every {t['update_every_hours']} hours"],
                ["Auto-approval", f"after {t['auto_approve_days']} days without an answer"]],
               widths=[40 * mm, 120 * mm], header=False),
        Spacer(1, 4 * mm), _para("Milestones", "Heading3"),
        _table([["#", "Milestone", "Amount", "Due", "Revisions"]] + [
            [str(i), m["title"], _money(m["amount"], currency), m["due"], str(m.get("revisions", 0))]
            for i, m in enumerate(t["milestones"], 1)], widths=[8 * mm, 80 * mm, 30 * mm, 24 * mm, 20 * mm]),
        Spacer(1, 4 * mm), _para("Acceptances", "Heading3"),
        _table([["Who", "Role", "At", "Terms hash"]] + [
            [a["user"]["name"], a["role"], a["at"], a["terms_hash"][:16] + "…"] for a in view["acceptances"]]
            if view["acceptances"] else [["Nobody accepted this version."]], header=bool(view["acceptances"])),
    ]
    return run_blocking(_render, flow, f"Terms v{view['version']} {job_title}")


# ---------------------------------------------------------------- the ledger

def ledger_csv(ledger: dict[str, Any]) -> str:
    """One row per entry: transaction id, kind, reference, time, account, amount (minor units)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["transaction", "kind", "ref", "at", "account", "amount_minor_units"])
    for tx in ledger["transactions"]:
        for entry in tx["entries"]:
            writer.writerow([tx["id"], tx["kind"], _csv_safe(tx["ref"]), tx["at"], entry["account"], entry["amount"]])
    return out.getvalue()


def _csv_safe(text: Any) -> str:
    """A spreadsheet must not run a cell as a formula."""
    value = "" if text is None else str(text)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# ---------------------------------------------------------------- index.html

def _what(type_: str, data: dict[str, Any], actor: str | None = None) -> str:
    """A line of plain text about an event for the timeline."""
    d = data or {}
    if type_ in DISPUTE_EVENTS:  # the reason and what was proposed, as the notification says them
        title, body = describe(type_, d, actor, "")
        return f"{title}. {body}".strip()
    message = d.get("message") if isinstance(d.get("message"), dict) else None
    if message is not None:
        if message.get("deleted"):
            return "Message deleted (its text and files were erased)"
        if message.get("erased"):
            return "Earlier version of an edited message (erased)"
        files = len(message.get("attachments") or [])
        return (message.get("body") or "") + (f" [{files} file{'s' if files != 1 else ''}]" if files else "")
    for key in ("milestone", "payment", "session", "progress", "agreement", "review", "snapshot"):
        entity = d.get(key)
        if isinstance(entity, dict):
            return _facts(entity)
    if isinstance(d.get("user"), dict):
        return f"{d['user'].get('name')} ({d.get('role', '')})"
    return _facts(d)


def _facts(entity: dict[str, Any]) -> str:
    """The telling fields of an entity (or of an event's data itself), in a fixed order."""
    bits = [f"version {entity['version']}" if k == "version" else str(entity[k]).replace("_", " ")
            for k in ("title", "version", "state", "status", "percent", "note", "reason", "rating", "text")
            if entity.get(k) not in (None, "") and not isinstance(entity.get(k), (dict, list))]
    if isinstance(entity.get("amount"), int) and isinstance(entity.get("currency"), str):
        bits.append(format_money(entity["amount"], entity["currency"]))
    return " · ".join(bits)


STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}.scroll{overflow-x:auto}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;
vertical-align:top;overflow-wrap:anywhere}th{color:#555}code{font-size:.85em;word-break:break-all}.muted{color:#666}
.seq{white-space:nowrap}"""


def index_head(job: dict[str, Any], checkpoint: dict[str, Any], files: list[tuple[str, str, int]],
               docs: list[str]) -> str:
    """The top of index.html: the job, its people and money, the signed head, the documents and files."""
    e = escape
    b = job["balances"]
    money = "".join(f"<tr><th>{e(label)}</th><td>{e(b['display'].get(key, str(b[key])))}</td></tr>"
                    for label, key in (("Agreed", "agreed"), ("Approved", "approved"), ("Paid (confirmed)", "paid"),
                                       ("Owed now", "owed"), ("Credit", "credit")) if key in b)
    head = checkpoint["checkpoint"]
    return "".join([
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>", e(job["title"]), " — dossier</title>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        # Nothing in this page runs or loads from elsewhere, even if some text escaped its escaping.
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<style>", STYLE, "</style></head><body>",
        "<h1>", e(job["title"]), "</h1><p class=muted>Dossier of job <code>", e(job["id"]), "</code>, status ",
        e(job["status"]), ". Run <code>python3 -I verify.py</code> in this folder to check every file, the hash ",
        "chain and the server's signatures.</p>",
        "<h2>People</h2><ul>", *[f"<li>{e(m['name'])} — {e(m['role'].replace('client_pending', 'client, joining'))}</li>" for m in job["members"]], "</ul>",
        "<h2>Money</h2><table>", money or "<tr><td>No terms in force.</td></tr>", "</table>",
        "<h2>Signed head</h2><p>Event ", str(int(head["seq"])), ", hash <code>", e(head["hash"]), "</code>, signed at ",
        e(head["at"]), " by key <code>", e(checkpoint["key_id"]), "</code> (<code>checkpoint.json</code>).</p>",
        "<h2>Documents</h2><ul>", *[f"<li><a href='{e(d, quote=True)}'>{e(d)}</a></li>" for d in docs], "</ul>",
        "<h2>Files</h2>", "<ul>" if files else "<p>None.</p>",
        *[f"<li><a href='{e(path, quote=True)}'>{e(name)}</a> <span class=muted>({size} bytes)</span></li>"
          for path, name, size in files], "</ul>" if files else "",
        "<h2>Timeline</h2><div class=scroll><table><tr><th>#</th><th>When (UTC)</th><th>Who</th><th>What</th><th>Details</th></tr>",
    ])


def index_row(event: dict[str, Any]) -> str:
    e = escape
    actor = (event.get("actor") or {}).get("name") or "Workspace"
    return (f"<tr id='event-{int(event['seq'])}'><td class=seq>{int(event['seq'])}</td><td>{e(event['at'][:19].replace('T', ' '))}"
            f"</td><td>{e(actor)}</td><td>{e(event['type'].replace('.', ' ').replace('_', ' '))}</td><td>{e(_what(event['type'], event['data'], actor))}</td></tr>")


def index_tail() -> str:
    return "</table></div></body></html>\n"


def index_html(job: dict[str, Any], checkpoint: dict[str, Any], files: list[tuple[str, str, int]], docs: list[str],
               events: Iterable[dict[str, Any]]) -> Iterable[str]:
    """index.html in pieces (a long timeline is written as it is read)."""
    yield index_head(job, checkpoint, files, docs)
    for event in events:
        yield index_row(event)
    yield index_tail()
