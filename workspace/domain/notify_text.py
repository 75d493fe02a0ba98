"""What a notification says: a title and a short body from an event's facts (pure, no I/O)."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from workspace.domain import event_types as ev
from workspace.domain.money import format_money

BODY_MAX = 280


def _clip(text: str, limit: int = BODY_MAX) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Messages and notes are Markdown (workspace/rendering.py turns them into the room's HTML, with the same
# rules as this parser; linking bare addresses changes no text). A notification quotes their words: the
# text content of that HTML, without the markup, not the Markdown source.
_md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

# A text with none of these is its own plain text (most chat lines): no character that starts inline
# syntax, an escape or an entity, and no line that starts a heading, list, quote, rule or setext underline.
_MARKUP = re.compile(r"[\\`*_\[\]<>&~|#]|^[ \t]*(?:[-+=]|\d+[.)])", re.MULTILINE)
_PARSE_MAX = 4000  # enough source for BODY_MAX characters of text: a long message is not parsed whole


def _inline_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        # an image shows nothing (the room's sanitizer drops it); links, emphasis, strike: only their text
    return "".join(out)


def _plain(markdown: str) -> str:
    """The words of a Markdown text as the room shows them: markup out, entities and escapes resolved."""
    if not _MARKUP.search(markdown):
        return markdown
    source = markdown
    if len(markdown) > _PARSE_MAX:  # a long text: up to a paragraph break far enough in (else all of it)
        cut = markdown.rfind("\n\n", 0, _PARSE_MAX)
        source = markdown[:cut] if cut >= _PARSE_MAX // 2 else markdown
    pieces = []
    for token in _md.parse(source):
        if token.type == "inline":
            pieces.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            pieces.append(token.content)
    text = " ".join(" ".join(pieces).split())
    return text + " …" if len(source) < len(markdown) and len(text) < BODY_MAX else text


def _excerpt(markdown: Any) -> str:
    """A Markdown text (a message, a note) as a notification's body: its plain text, clipped."""
    return _clip(_plain(str(markdown or "")))


def _milestone(data: dict[str, Any]) -> str:
    return str((data.get("milestone") or {}).get("title") or "a milestone")


def _money(amount: Any, currency: Any) -> str:
    if isinstance(amount, int) and isinstance(currency, str):
        return format_money(amount, currency)
    return ""


def describe(event_type: str, data: dict[str, Any], actor: str | None, job_title: str) -> tuple[str, str]:
    """(title, body) of the notification for an event in the job called `job_title`."""
    who = actor or "Workspace"
    d = data or {}
    if event_type == ev.AGREEMENT_PROPOSED:
        version = (d.get("agreement") or {}).get("version")
        return f"{who} proposed terms (version {version}) for {job_title}", "Read them and accept or propose changes."
    if event_type == ev.AGREEMENT_IN_FORCE:
        version = (d.get("agreement") or {}).get("version")
        return f"Version {version} of the terms is in force for {job_title}", "Both sides accepted the same terms."
    if event_type == ev.UPFRONT_REQUESTED:
        return (f"Upfront payment of {_money(d.get('amount'), d.get('currency'))} is due for {job_title}",
                "The agreed terms ask for this before work starts.")
    if event_type == ev.MILESTONE_SUBMITTED:
        note = ((d.get("milestone") or {}).get("submission") or {}).get("note") or ""
        return f"{who} submitted “{_milestone(d)}” for your review", _excerpt(note) or "Review it against the criteria."
    if event_type == ev.MILESTONE_CHANGES_REQUESTED:
        return f"{who} asked for changes to “{_milestone(d)}”", _clip(str(d.get("reason") or ""))
    if event_type == ev.MILESTONE_APPROVED:
        amount = _money((d.get("milestone") or {}).get("amount"), (d.get("milestone") or {}).get("currency"))
        if d.get("auto"):
            return (f"“{_milestone(d)}” was approved automatically",
                    f"The review window ran out; {amount} is now owed." if amount else "The review window ran out.")
        return f"{who} approved “{_milestone(d)}”", f"{amount} is now earned." if amount else ""
    if event_type == ev.MILESTONE_REVIEW_EXTENDED:
        why = ("the clients had not been told of it yet" if d.get("reason") == "clients_not_told"
               else "the clients get the whole warning period")
        return f"Review of “{_milestone(d)}” extended", f"Auto-approval moved to {str(d.get('until', ''))[:16].replace('T', ' ')} UTC: {why}."
    if event_type == ev.MILESTONE_CANCEL_REQUESTED:
        return f"{who} asked to cancel “{_milestone(d)}”", "It is cancelled once you agree."
    if event_type == ev.MILESTONE_CANCELLED:
        return f"“{_milestone(d)}” was cancelled", ""
    if event_type in (ev.PAYMENT_SENT, ev.PAYMENT_CONFIRMED, ev.PAYMENT_DISPUTED):
        p = d.get("payment") or {}
        amount = _money(p.get("amount"), p.get("currency"))
        verb = {ev.PAYMENT_SENT: "sent a payment of", ev.PAYMENT_CONFIRMED: "confirmed receiving",
                ev.PAYMENT_DISPUTED: "has not received"}[event_type]
        body = "Confirm it once the money is in your account." if event_type == ev.PAYMENT_SENT else ""
        if event_type == ev.PAYMENT_DISPUTED:
            body = _clip(str(p.get("dispute_reason") or ""))
        return f"{who} {verb} {amount}", body
    if event_type == ev.JOB_COMPLETED:
        return f"{job_title} is complete", "Every milestone is paid. Leave a review."
    if event_type == ev.SESSION_STARTED:
        title = (d.get("session") or {}).get("title") or ""
        return f"{who} went live", _clip(title) or "Watch the work in the room while the session runs."
    if event_type == ev.MESSAGE_POSTED:
        m = d.get("message") or {}
        files = len(m.get("attachments") or [])
        body = _excerpt(m.get("body")) or (f"{files} file(s)" if files else "")
        return f"{who} wrote in {job_title}", body
    if event_type == ev.PROGRESS_POSTED:
        p = d.get("progress") or {}
        return f"{who} posted progress: {p.get('percent')}%", _excerpt(p.get("note"))
    if event_type == ev.REVIEW_POSTED:
        r = d.get("review") or {}
        said = f"{who} left you a review" if r.get("role") == "freelancer" else f"{who} reviewed your work"
        return f"{said}: {r.get('rating')}/5", _clip(str(r.get("text") or ""))  # (a freelancer reviews the client)
    if event_type == ev.MEMBER_JOINED:
        if d.get("role") == "client_pending":
            return (f"{who} joined {job_title} as a client, waiting for admission",
                    "They become a client once they accept the terms in force and every client admits them.")
        return f"{who} joined {job_title} as {d.get('role')}", ""
    if event_type == ev.AGREEMENT_ACCEPTED:
        return (f"{who} accepted the terms of {job_title} and waits for your admission",
                "They become a client once every client admits them: see the agreement page.")
    if event_type == ev.MEMBER_ADMITTED:
        name = str((d.get("user") or {}).get("name") or "Someone")
        if d.get("role") == "mediator":
            return (f"{who} agreed to {name} as mediator of {job_title}",
                    "Where the terms make mediation binding, a mediator both sides agreed to settles disputes.")
        if d.get("became_client"):
            by = f"{who} admitted {name}" if actor else f"Every client has admitted {name}"
            return f"{by}: now a client of {job_title}", "They can now approve milestones and pay."
        return f"{who} admitted {name} as a client of {job_title}", "They become a client once every client admits them."
    if event_type in DISPUTE_EVENTS:
        return _dispute(event_type, d, who)
    return f"{event_type} in {job_title}", ""


DISPUTE_EVENTS = (ev.DISPUTE_OPENED, ev.DISPUTE_PROPOSED, ev.DISPUTE_ACCEPTED, ev.DISPUTE_RESOLVED,
                  ev.DISPUTE_WITHDRAWN)


def _day_words(value: Any) -> str:
    """An agreed day as people read it (Tue 22 Dec 2026), as the pages show it."""
    try:
        return date.fromisoformat(str(value)).strftime("%a %d %b %Y")
    except ValueError:
        return str(value)


def _proposal_words(p: dict[str, Any], currency: Any) -> str:
    if p.get("kind") == "revision":
        return f"one more revision, due {_day_words(p.get('due'))}"
    return f"{_money(p.get('amount'), currency)} to the freelancer, the rest cancelled"


def _dispute(event_type: str, d: dict[str, Any], who: str) -> tuple[str, str]:
    dispute = d.get("dispute") or {}
    title = _milestone(d)
    currency = (d.get("milestone") or {}).get("currency")
    proposals = dispute.get("proposals") or [{}]
    latest = proposals[-1]
    if event_type == ev.DISPUTE_OPENED:
        return (f"{who} disputed “{title}”",
                _clip(str(dispute.get("reason") or "")) or "Its review and payment wait until the dispute ends.")
    if event_type == ev.DISPUTE_PROPOSED:
        return f"{who} proposed a resolution for “{title}”", f"Proposed: {_proposal_words(latest, currency)}."
    if event_type == ev.DISPUTE_ACCEPTED:
        return (f"{who} accepted the mediator's resolution for “{title}”",
                "It takes effect once the other side accepts it too.")
    if event_type == ev.DISPUTE_RESOLVED:
        accepted = next((p for p in proposals if p.get("state") == "accepted"), latest)
        return f"The dispute over “{title}” is resolved", f"Agreed: {_proposal_words(accepted, currency)}."
    return f"{who} withdrew the dispute over “{title}”", "The milestone carries on where it was."
