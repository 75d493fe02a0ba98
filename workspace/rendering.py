"""User text to safe HTML: Markdown with raw HTML off, typed line breaks kept, bare web addresses linked,
then an allow-list sanitizer."""
from __future__ import annotations

import re
from typing import Any

import nh3
from linkify_it import LinkifyIt
from markdown_it import MarkdownIt


class _WebAddresses(LinkifyIt):  # type: ignore[misc]
    """Bare addresses become links when they name their scheme (http, https) or start with `www.`:
    a word such as `readme.md` or `notes.py` stays a word (`.md` and `.py` are country domains)."""

    def __init__(self) -> None:
        super().__init__()
        self.set({"fuzzy_email": False})

    @staticmethod
    def _web(m: Any) -> Any:
        """The match if it is a web address (a `www.` one is opened over https), else None."""
        if m.schema in ("http:", "https:"):
            return m
        if m.schema == "" and m.raw.lower().startswith("www."):
            m.url = "https://" + m.raw
            return m
        return None

    def match(self, text: str) -> list[Any] | None:
        return [m for m in super().match(text) or [] if self._web(m)] or None

    def match_at_start(self, text: str) -> Any:
        found = super().match_at_start(text)
        return self._web(found) if found is not None else None

    def test(self, text: str) -> bool:
        return super().test(text) and self.match(text) is not None


_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False, "breaks": True}).enable(
    ["table", "strikethrough", "linkify"]
)
_md.linkify = _WebAddresses()

_TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRS = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


# One line that no Markdown rule, link rule or sanitizer step changes: it starts with a letter (no block
# syntax: headings, lists, quotes, code, rules), holds none of the characters that start inline syntax or
# are escaped or dropped (\ ` * _ [ ] < > & ~ |, controls, invisible and separator characters), and no web
# address. Most chat lines are like this; they render as one paragraph of themselves, without the
# parser (tests/test_rendering_fast.py checks this against the full path on many such lines).
_NOT_PLAIN = re.compile("[\\\\`*_\\[\\]<>&~|\x00-\x1f\x7f-\xa0\xad\u034f\u061c\u115f\u1160\u17b4\u17b5"
                        "\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f"
                        "\ufeff\uffa0\ufff0-\uffff]|www|://", re.IGNORECASE)


def _plain(text: str) -> bool:
    return bool(text) and text[0].isalpha() and len(text) <= 2000 and _NOT_PLAIN.search(text) is None


def render_markdown(text: str) -> str:
    """Markdown -> sanitized HTML; links (written or bare) open safely (noopener noreferrer, new tab)."""
    if _plain(text):
        return f"<p>{text}</p>\n"
    return render_full(text)


def render_full(text: str) -> str:
    """The whole path (markdown-it, linkify, nh3), whatever the text."""
    html = _md.render(text or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
