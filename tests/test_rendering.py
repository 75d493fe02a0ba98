"""Messages, notes and scopes are rendered once, on the server: Markdown with raw HTML off, bare web
addresses linked (http, https, www.), and nh3's allow-list with links that open safely in a new tab."""
from __future__ import annotations

import re

import pytest

from workspace.rendering import render_markdown

SAFE = 'target="_blank" rel="noopener noreferrer nofollow"'


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', html)


@pytest.mark.parametrize("text, href, shown", [
    ("see https://example.com/board.", "https://example.com/board", "https://example.com/board"),
    ("(see https://x.org/a).", "https://x.org/a", "https://x.org/a"),
    ("at www.example.com/x?y=1 today", "https://www.example.com/x?y=1", "www.example.com/x?y=1"),
    ("HTTP://EXAMPLE.COM/Path", "HTTP://EXAMPLE.COM/Path", "HTTP://EXAMPLE.COM/Path"),
])
def test_a_bare_web_address_becomes_a_safe_link(text, href, shown):
    html = render_markdown(text)
    assert links(html) == [href]
    assert f'<a href="{href}" {SAFE}>{shown}</a>' in html


@pytest.mark.parametrize("text", [
    "the notes are in readme.md and notes.py",   # country domains, not addresses
    "write to a@b.com",                          # addresses stay text, as before
    "`https://in.code` and\n\n    https://in.block",
    "ftp://x.org/file and javascript:alert(1)",  # only the web's schemes
])
def test_what_is_not_a_web_address_stays_text(text):
    assert links(render_markdown(text)) == []


def test_a_written_link_and_a_bare_one_are_both_safe_and_raw_html_stays_text():
    html = render_markdown('[board](https://a.example) https://c.example <script>alert(1)</script> '
                           'https://d.example/"onmouseover="x')
    assert links(html) == ["https://a.example", "https://c.example", "https://d.example/%22onmouseover=%22x"]
    assert html.count(SAFE) == 3
    assert "<script" not in html and not re.search(r"<a [^>]*\sonmouseover", html)  # text, never an attribute


def test_a_bare_url_in_a_message_reaches_the_room_as_a_link(api, people, job):
    api.ok("POST", f"/jobs/{job['id']}/messages", people["client"],
           {"body": "The board: https://example.com/board?id=7 (new)"}, status=201)
    posted = [e for e in api.events(people["freelancer"], job["id"])["events"] if e["type"] == "message.posted"]
    html = posted[-1]["data"]["message"]["html"]
    assert f'<a href="https://example.com/board?id=7" {SAFE}>https://example.com/board?id=7</a>' in html


def test_a_line_break_typed_in_a_message_is_kept():
    """Shift+Enter in the composer starts a new line, and the room shows it as one (as chat does);
    a blank line still starts a new paragraph and lists stay lists."""
    from workspace.rendering import render_markdown

    assert render_markdown("line one\nline two") == "<p>line one<br>\nline two</p>\n"
    assert render_markdown("first\n\nsecond") == "<p>first</p>\n<p>second</p>\n"
    assert "<li>a</li>" in render_markdown("- a\n- b")
