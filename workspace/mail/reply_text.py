"""What a person wrote in an emailed reply: quoted text, attributions, forwarded headers, our own
notification text and signatures are cut; their own words (inline answers too) stay. Pure functions.

The rules, in the order they apply (see tests/test_reply_text.py for the corpus they were made on):
1. Everything from the first *hard cut* on is dropped: a signature separator (a line that is
   exactly "-- " or "--"), a mobile or webmail signature ("Sent from my iPhone", "Get Outlook for
   iOS"), "-----Original Message-----" and forward markers, an Outlook header block
   ("From: …" followed by "Sent:"/"Date:" and "To:"/"Subject:", with its "____" rule above), and our
   own notification text pasted without quote marks. An attribution line right above a cut goes too.
2. An attribution ("On <date>, <name> wrote:", wrapped over up to three lines; "Le … a écrit :",
   "Am … schrieb …:", and a few more languages) followed only by quoted lines cuts the rest; an
   attribution above an inline (interleaved) answer is dropped alone.
3. Quoted lines (">") at the end are dropped. So is a quoted block at the start when the person wrote
   one block of text under it (bottom-posting). A reply that answers inline, between quoted lines,
   keeps the quotes it answers, as Markdown quotes, so the answers keep their context.
"""
from __future__ import annotations

import html
import re

import nh3

_LANG_ATTRIBUTIONS = [
    r"On\b.{1,300}?\bwrote\s?:",                     # Gmail, Apple Mail, Thunderbird, Outlook for Mac
    r"Le\b.{1,300}?\ba\s+écrit\s?:",                 # French
    r"Am\b.{1,300}?\bschrieb\b.{0,300}:",            # German ("Am 5. Jan. 2026 um 10:00 schrieb X <x@y>:")
    r"El\b.{1,300}?\bescribió\s?:",                  # Spanish
    r"Em\b.{1,300}?\bescreveu\s?:",                  # Portuguese
    r"Il\b.{1,300}?\bha\s+scritto\s?:",              # Italian
    r"Op\b.{1,300}?\bschreef\b.{0,300}:",            # Dutch
    r".{0,200}<[^<>\s]+@[^<>\s]+>\s+(wrote|a\s+écrit|schrieb|escribió|escreveu|ha\s+scritto|schreef)\s?:",
]
ATTRIBUTION = re.compile(r"^\s*(?:" + "|".join(_LANG_ATTRIBUTIONS) + r")\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(On|Le|Am|El|Em|Il|Op)\b|<[^<>\s]+@", re.IGNORECASE)

SIGNATURE_SEPARATOR = re.compile(r"^--\s?$")
_MAILERS = (r"(?:iPhone|iPad|Android|Samsung|Galaxy|BlackBerry|Outlook|Yahoo|AOL|Proton|Gmail|Mail|Spark|"
            r"Superhuman|Thunderbird|Fastmail|Zoho|Huawei|Xiaomi|Windows|Hey|Edison|Airmail|Blue\s?Mail|"
            r"Nine|Canary|myMail|K-9)")
MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:"
    r"(?:Sent|Envoyé|Enviado|Inviato|Verzonden|Gesendet)\s+(?:from|with|via|de|depuis|desde|da|vanaf|met|von)\s+"
    r"(?:(?:my|mon|ma|mi|il\s+mio|mijn|meinem)\s+[\w .,'’&()-]{1,50}|" + _MAILERS + r"\b[\w .,'’&()-]{0,50})"
    r"|Von\s+meinem\s+[\w .-]{1,40}\s+gesendet"
    r"|Get\s+Outlook\s+for\s+[\w .-]{1,30}"
    r")\s*$",
    re.IGNORECASE,
)
ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original\s+Message|Ursprüngliche\s+Nachricht|Message\s+d'origine|Mensaje\s+original|"
    r"Messaggio\s+originale|Oorspronkelijk\s+bericht|Forwarded\s+message|Message\s+transféré)\s*-{2,}\s*$"
    r"|^\s*Begin\s+forwarded\s+message\s*:\s*$",
    re.IGNORECASE,
)
RULE = re.compile(r"^\s*_{10,}\s*$")
_HEADER = r"^\s*\*?{}\s?:\*?(\s|$)"
HEADER_FROM = re.compile(_HEADER.format("(?:From|Von|De|Van|Da|Från|Fra)"), re.IGNORECASE)
HEADER_DATE = re.compile(_HEADER.format("(?:Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato|Skickat|Sendt)"),
                         re.IGNORECASE)
HEADER_TO = re.compile(_HEADER.format("(?:To|An|À|A|Para|Aan|Till|Til|Cc|Subject|Betreff|Objet|Asunto|Assunto|"
                                      "Onderwerp|Oggetto|Ämne|Emne)"), re.IGNORECASE)

# Our own notification email (templates/email/notifications.html), when a client pastes it unquoted.
OUR_FOOTER = re.compile(r"^\s*(Reply to this email to post a message in the room\.|Open the room: https?://\S+|"
                        r"Email preferences: https?://\S+)\s*$")
OUR_INTRO = re.compile(r"^\s*(While you were away from|Your daily digest for) .{1,300}:\s*$")


def _is_quoted(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _blank(line: str) -> bool:
    return not line.strip()


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    return [line.rstrip("\n") for line in text.split("\n")]


def _attribution_at(lines: list[str], i: int) -> int | None:
    """The index of the last line of an attribution starting at line i (wrapped over up to 3 lines)."""
    if _is_quoted(lines[i]) or not _ATTRIBUTION_START.search(lines[i]):
        return None
    joined = ""
    for j in range(i, min(i + 3, len(lines))):
        if _blank(lines[j]) or (j > i and _is_quoted(lines[j])):
            return None
        joined = (joined + " " + lines[j].strip()).strip()
        if len(joined) > 600:
            return None
        if ATTRIBUTION.match(joined):
            return j
    return None


def _header_block_at(lines: list[str], i: int) -> bool:
    """An Outlook-style header block ("From:" then "Sent:"/"Date:" and "To:"/"Subject:") starts at i."""
    if not HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1:i + 8] if not _blank(line)][:6]
    return any(HEADER_DATE.match(line) for line in following) and any(HEADER_TO.match(line) for line in following)


def _back_over_attribution(lines: list[str], cut: int) -> int:
    """Move a cut up over blank lines, an Outlook rule and an attribution sitting right above it."""
    k = cut
    while k > 0 and _blank(lines[k - 1]):
        k -= 1
    if k > 0 and RULE.match(lines[k - 1]):
        return k - 1
    for start in range(max(0, k - 3), k):
        end = _attribution_at(lines, start)
        if end == k - 1:
            return start
    return cut


def _hard_cut(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _is_quoted(line):
            continue
        if SIGNATURE_SEPARATOR.match(line) or MOBILE_SIGNATURE.match(line):
            return _back_over_attribution(lines, i)
        if ORIGINAL_MESSAGE.match(line) or _header_block_at(lines, i):
            return _back_over_attribution(lines, i)
        if OUR_FOOTER.match(line):
            intro = next((k for k in range(i, -1, -1) if OUR_INTRO.match(lines[k]) and not _is_quoted(lines[k])), i)
            return _back_over_attribution(lines, intro)
        if OUR_INTRO.match(line) and any(OUR_FOOTER.match(rest) for rest in lines[i + 1:]):
            return _back_over_attribution(lines, i)
    return len(lines)


def _drop_attributions(lines: list[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(lines):
        end = _attribution_at(lines, i)
        if end is None:
            kept.append(lines[i])
            i += 1
            continue
        rest = [line for line in lines[end + 1:] if not _blank(line)]
        if all(_is_quoted(line) for line in rest):
            return kept  # a reply above the quoted email: the attribution and the quote go
        i = end + 1  # an inline answer follows: drop the attribution line(s) only
    return kept


def _blocks(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """Runs of quoted / own lines; blank lines join the run they sit in (or the one before)."""
    runs: list[tuple[bool, list[str]]] = []
    for line in lines:
        quoted = _is_quoted(line)
        if runs and (_blank(line) or runs[-1][0] == quoted):
            runs[-1][1].append(line)
        else:
            runs.append((quoted, [line]))
    return runs


def _drop_outer_quotes(lines: list[str]) -> list[str]:
    runs = [run for run in _blocks(lines) if not all(_blank(line) for line in run[1])]
    while runs and runs[-1][0]:
        runs.pop()  # the trailing quote: the email being answered
    own = [run for run in runs if not run[0]]
    if runs and runs[0][0] and len(own) == 1:
        runs.pop(0)  # bottom-posting: the whole quote above one answer
    return [line for _quoted, run in runs for line in run]


def _trim(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").strip()


def strip_reply(text: str) -> str:
    """The new text of a plain-text reply (may be empty when the person wrote nothing new)."""
    if not isinstance(text, str) or not text:
        return ""
    lines = _lines(text)
    lines = lines[:_hard_cut(lines)]
    lines = _drop_attributions(lines)
    lines = _drop_outer_quotes(lines)
    return _trim(lines)


def unflow(text: str, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed: soft line breaks (a trailing space) join, space-stuffing goes."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for raw in _lines(text):
        depth = len(raw) - len(raw.lstrip(">"))
        content = raw[depth:]
        content = content.removeprefix(" ")  # space-stuffing (and the space after quote marks)
        prefix = "> " * depth
        if pending is not None and depth != pending_depth:
            out.append(("> " * pending_depth) + pending)
            pending = None
        flowed = content.endswith(" ") and content != "-- "
        if flowed:
            piece = content[:-1] if delsp else content
            pending = (pending or "") + piece
            pending_depth = depth
            continue
        out.append(prefix + (pending or "") + content)
        pending = None
    if pending is not None:
        out.append(("> " * pending_depth) + pending)
    return "\n".join(line.rstrip() if line.strip() != "--" else line for line in out)


# Where the quoted email or the signature starts in the HTML of common clients.
HTML_CUT = re.compile(
    r"<(?:div|span)\b[^>]*\b(?:class|id)\s*=\s*[\"']?[^\"'>]*\b("
    r"gmail_quote|gmail_signature|gmail_extra|moz-cite-prefix|moz-signature|yahoo_quoted|divRplyFwdMsg|"
    r"appendonsend|x_divRplyFwdMsg|OutlookMessageHeader|ms-outlook-mobile-signature|protonmail_quote|"
    r"zmail_extra|AppleMailSignature)\b"
    r"|<blockquote\b|<hr\b[^>]*\bid\s*=\s*[\"']?stopSpelling",
    re.IGNORECASE,
)
_BREAK = re.compile(r"<br\s*/?>|</(?:div|li|tr|h[1-6]|pre|table|ul|ol)\s*>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML part, line breaks kept, every tag stripped (nh3)."""
    if not isinstance(markup, str) or not markup:
        return ""
    markup = _BREAK.sub("\n", markup)
    markup = _PARAGRAPH.sub("\n\n", markup)
    markup = _ITEM.sub("- ", markup)
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "title", "head"})
    text = html.unescape(text).replace("\xa0", " ")
    return _trim([line.strip() for line in _lines(text)])


def strip_html_reply(markup: str) -> str:
    """The new text of an HTML-only reply: cut at the client's quote or signature, then as plain text."""
    if not isinstance(markup, str) or not markup:
        return ""
    found = HTML_CUT.search(markup)
    if found:
        markup = markup[:found.start()]
    return strip_reply(html_to_text(markup))
