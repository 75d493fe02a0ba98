"""The one serializer of room events: what the hash-chained log stores (facts) and what is sent (wire form).

The log keeps facts: ids, raw text, names, numbers, states. Everything derived for presentation (a
message's rendered Markdown, file and thumbnail URLs, a receipt's URL) is added here when an event is
sent (`Transaction.record`, then the Socket.IO broadcast) or read (`GET .../events`, the join page), so
changing how a thing is shown never touches the chain. Events stored before this split still carry
presentation keys; reading them rebuilds those keys from their facts in the same way, so both kinds
give the same wire form.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import select

from workspace import db as unit_of_work
from workspace.extensions import db
from workspace.rendering import render_markdown
from workspace.services.views import overdue_view

EXCERPT_CHARS = 140


def file_url(public_id: str) -> str:
    return f"/files/{public_id}"


def thumb_url(public_id: str) -> str:
    return f"/files/{public_id}/thumb"


def receipt_url(payment_id: int) -> str:
    return f"/api/v1/payments/{payment_id}/receipt.pdf"


@lru_cache(maxsize=4096)
def html(text: str) -> str:
    """Markdown to sanitized HTML (cached: a page of history renders the same texts again and again)."""
    return render_markdown(text or "")


# ---------------------------------------------------------------- facts: what is stored

def _attachment_facts(a: dict[str, Any]) -> dict[str, Any]:
    if "url" not in a:
        return a
    kept = {k: v for k, v in a.items() if k not in ("url", "thumb_url")}
    return {**kept, "thumb": a.get("thumb_url") is not None}


def _files_facts(entity: dict[str, Any]) -> dict[str, Any]:
    files = entity.get("attachments")
    if isinstance(files, list):
        entity = {**entity, "attachments": [_attachment_facts(a) if isinstance(a, dict) else a for a in files]}
    return entity


def _text_facts(entity: dict[str, Any]) -> dict[str, Any]:
    """A message, progress update or submission: its raw text stays, its rendering goes."""
    return _files_facts({k: v for k, v in entity.items() if k != "html"})


# Derived from the due date, the state and the clock: never stored (the chain would freeze a moment's truth).
_MILESTONE_CLOCK = ("due_at", "overdue", "overdue_at")


def _milestone_facts(m: dict[str, Any]) -> dict[str, Any]:
    submission = m.get("submission")
    kept = {k: v for k, v in m.items() if k not in _MILESTONE_CLOCK}
    return {**kept, "submission": _text_facts(submission)} if isinstance(submission, dict) else kept


def _payment_facts(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != "receipt_url"}


def _snapshot_facts(s: dict[str, Any]) -> dict[str, Any]:
    url = s.get("url")
    if not isinstance(url, str) or not url.startswith(file_url("")):
        return s
    kept = {k: v for k, v in s.items() if k not in ("url", "thumb_url")}
    return {**kept, "file": url[len(file_url("")):], "thumb": s.get("thumb_url") is not None}


_FACTS = {"message": _text_facts, "progress": _text_facts, "milestone": _milestone_facts,
          "payment": _payment_facts, "snapshot": _snapshot_facts}


def facts(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the log stores of an event's data: the same entities with their presentation left out."""
    return _each_entity(data, _FACTS)


def facts_of_wire(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the log stored of an event from its wire form: its presentation taken off again (HTML,
    URLs, the clock's overdue fields, a reply's excerpt). static/js/chain-verify.js does the same, so a
    member's browser checks each event's content against its `data_digest`, not only the links.
    (An erased message version keeps only its digest: there is no content left to check.)"""
    message = data.get("message")
    if isinstance(message, dict) and isinstance(message.get("reply_to"), dict):
        reply_to = {k: v for k, v in message["reply_to"].items() if k != "excerpt"}
        data = {**data, "message": {**message, "reply_to": reply_to}}
    return facts(type_, data)


def _each_entity(data: dict[str, Any], by_kind: dict[str, Any]) -> dict[str, Any]:
    """`data` with each entity it carries (message, milestone, ..., and a list of milestones) passed
    through its kind's function: one walk for storing (facts) and for sending (present)."""
    out = dict(data)
    for key, apply in by_kind.items():
        if isinstance(out.get(key), dict):
            out[key] = apply(out[key])
    if isinstance(out.get("milestones"), list):
        out["milestones"] = [by_kind["milestone"](m) if isinstance(m, dict) else m for m in out["milestones"]]
    return out


# ---------------------------------------------------------------- present: what is sent

def attachment_wire(a: dict[str, Any]) -> dict[str, Any]:
    """A file as sent: its URLs (and the thumbnail's, when it has one) built from its public id."""
    public_id = a.get("id")
    if not isinstance(public_id, str):
        return a
    has_thumb = a["thumb"] if "thumb" in a else a.get("thumb_url") is not None  # new facts, or an old event
    kept = {k: v for k, v in a.items() if k not in ("thumb", "url", "thumb_url", "width", "height", "created_at")}
    return {**kept, "url": file_url(public_id), "thumb_url": thumb_url(public_id) if has_thumb else None,
            "width": a.get("width"), "height": a.get("height"), "created_at": a.get("created_at")}


def _files_wire(entity: dict[str, Any]) -> dict[str, Any]:
    files = entity.get("attachments")
    if isinstance(files, list):
        entity = {**entity, "attachments": [attachment_wire(a) if isinstance(a, dict) else a for a in files]}
    return entity


def _with_html(entity: dict[str, Any], source: str) -> dict[str, Any]:
    """Put `html` right after the text it renders (where the views have always had it)."""
    text = entity.get(source)
    out: dict[str, Any] = {}
    for key, value in entity.items():
        if key == "html":
            continue
        out[key] = value
        if key == source:
            out["html"] = html(text) if isinstance(text, str) else ""
    if "html" not in out:
        out["html"] = ""
    return out


def _message_wire(m: dict[str, Any]) -> dict[str, Any]:
    return _files_wire(_with_html(m, "body"))


def _noted_wire(entity: dict[str, Any]) -> dict[str, Any]:
    return _files_wire(_with_html(entity, "note"))


def _milestone_wire(m: dict[str, Any]) -> dict[str, Any]:
    """A milestone as sent: whether it is overdue is worked out now, from its due date and state."""
    submission = m.get("submission")
    out = {**m, "submission": _noted_wire(submission)} if isinstance(submission, dict) else dict(m)
    if isinstance(m.get("due"), str) and isinstance(m.get("state"), str):
        try:
            out.update(overdue_view(date.fromisoformat(m["due"]), m["state"]))
        except ValueError:
            pass
    return out


def _payment_wire(p: dict[str, Any]) -> dict[str, Any]:
    if "id" not in p:
        return p
    out = {k: v for k, v in p.items() if k != "receipt_url"}
    out["receipt_url"] = receipt_url(p["id"]) if p.get("status") == "confirmed" else None
    return out


def _snapshot_wire(s: dict[str, Any]) -> dict[str, Any]:
    if "file" not in s:
        return s  # an old event (URLs already there) or a deleted snapshot (none)
    kept = {k: v for k, v in s.items() if k not in ("file", "thumb", "deleted")}
    return {**kept, "url": file_url(s["file"]), "thumb_url": thumb_url(s["file"]) if s.get("thumb") else None,
            "deleted": s.get("deleted", False)}


_WIRE = {"message": _message_wire, "progress": _noted_wire, "milestone": _milestone_wire,
         "payment": _payment_wire, "snapshot": _snapshot_wire}


def present(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as sent: its facts plus what is derived from them for showing (HTML, URLs)."""
    return _each_entity(data, _WIRE)


def event_wire(job_public_id: str, seq: int, type_: str, at: str, actor: dict[str, Any] | None,
               data: dict[str, Any]) -> dict[str, Any]:
    """The wire form, HTTP and Socket.IO alike: {job, seq, type, at, actor: {id, name} | null, data}, to
    which `with_excerpts` adds the event's place in the chain (`data_digest`, `prev_hash`, `hash`)."""
    return {"job": job_public_id, "seq": seq, "type": type_, "at": at, "actor": actor, "data": present(type_, data)}


def serialize(rows: Iterable[tuple[str, int, str, str, dict[str, Any] | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Stored events (job, seq, type, at, actor, data) as sent: with their chain fields and each reply's
    excerpt (a query each per page)."""
    return with_excerpts([event_wire(*row) for row in rows])


CHAIN_KEYS = ("data_digest", "prev_hash", "hash")


def with_chain(wires: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each event's chain fields as stored (one query per page): a member recomputes `hash` from
    {job, seq, type, at, actor.id, data_digest} and `prev_hash` (domain/chain.py) and checks the links.

    The digest is of the stored facts, not of this wire form (which adds HTML and URLs, and whose erased
    content is gone), so it travels beside the data. When an event is being recorded its row is still
    pending in the transaction; the query's autoflush writes it first, so it is found the same way.
    """
    from workspace.models import Event, Job

    by_job: dict[str, list[int]] = {}
    for w in wires:
        if "hash" not in w:  # an event being recorded comes with its chain fields
            by_job.setdefault(w["job"], []).append(w["seq"])
    stored: dict[tuple[str, int], tuple[str, str, str]] = {}
    for job, seqs in by_job.items():
        rows = db.session.execute(
            select(Event.seq, Event.data_digest, Event.prev_hash, Event.hash).join(Job, Job.id == Event.job_id)
            .where(Job.public_id == job, Event.seq.between(min(seqs), max(seqs)))
        ).all()
        stored.update({(job, seq): (digest, prev, hash_) for seq, digest, prev, hash_ in rows})
    out = []
    for w in wires:
        chain = stored.get((w["job"], w["seq"]))
        out.append({**w, **dict(zip(CHAIN_KEYS, chain))} if chain else w)
    return out


def with_excerpts(wires: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Finish a page of wire events with what other rows hold: each event's chain fields (`with_chain`)
    and each reply's excerpt of the message it answers, as that message is now (a query each).

    Excerpts are never stored: a deleted original gives none, an edited one its latest text.
    """
    wires = with_chain(wires)
    from workspace.models import Message

    def reply_of(w: dict[str, Any]) -> dict[str, Any] | None:
        message = w["data"].get("message") if w["type"].startswith("message.") else None
        reply_to = message.get("reply_to") if isinstance(message, dict) else None
        return reply_to if isinstance(reply_to, dict) and isinstance(reply_to.get("id"), int) else None

    wanted = {r["id"] for r in map(reply_of, wires) if r is not None}
    if not wanted:
        return wires
    originals = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(wanted)))}
    out = []
    for w in wires:
        reply_to = reply_of(w)
        if reply_to is not None:
            original = originals.get(reply_to["id"])
            excerpt = "" if original is None or original.deleted_at else original.body[:EXCERPT_CHARS]
            message = {**w["data"]["message"], "reply_to": {**reply_to, "excerpt": excerpt}}
            w = {**w, "data": {**w["data"], "message": message}}
        out.append(w)
    return out


class _Form:
    """What `Transaction.record` stores and sends, installed into the unit of work on import."""

    @staticmethod
    def facts(type_: str, data: dict[str, Any]) -> dict[str, Any]:
        return facts(type_, data)

    @staticmethod
    def wire(job_public_id: str, seq: int, type_: str, at: str, actor: dict[str, Any] | None,
             data: dict[str, Any], chain: dict[str, str] | None = None) -> dict[str, Any]:
        return with_excerpts([{**event_wire(job_public_id, seq, type_, at, actor, data), **(chain or {})}])[0]


unit_of_work.EVENT_FORM.install(_Form())
