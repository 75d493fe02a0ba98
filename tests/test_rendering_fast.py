"""The plain-line shortcut of rendering (most chat messages skip the Markdown parser) gives exactly what
the whole path gives, on targeted lines and on many random ones."""
from __future__ import annotations

import random

import pytest

from workspace.rendering import _plain, render_full, render_markdown

TRICKY = [
    "hello world", "t=123.456 p=2 i=3 bench fan-out message", "issue #12 is done!", "a. b", "a 1. b",
    "a - b", "a: b", "see example.com and readme.md", "A https thing", "mail me a@b.co", "Http:/x",
    "a ===", "a ---", "a +++", "wow!!", "a{b} $x$ ^y", "quote \"this\" and 'that'", "héllo 😀 wörld",
    "Ünïcödé — dash… and “quotes”", "x=1+2-3/4%5", "a  two  spaces", "a (parens) [no]", "A.B.C.",
    "a ! b", "a !b", "a :) :-(", "abc;def,ghi", "a @mention", "a #hash #tag", "a 1) b", "a > b",
]
ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"()+-=/%$#@^{}"
            "éüßøçñ—…“”😀中文ÄÖ")


def test_targeted_lines_render_the_same_either_way():
    for text in TRICKY:
        assert render_markdown(text) == render_full(text), text


@pytest.mark.parametrize("seed", range(4))
def test_random_plain_lines_render_the_same_either_way(seed):
    rng = random.Random(seed)
    checked = 0
    for _ in range(3000):
        text = rng.choice("abcXYZéü") + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
        text = text.strip()
        if _plain(text):
            checked += 1
            assert render_markdown(text) == render_full(text), repr(text)
    assert checked > 2000


def test_markdown_still_takes_the_whole_path():
    for text in ["a *b*", "a _b_", "see https://example.com", "at www.example.com", "a `code`", "a [l](u)",
                 "a <b>", "a &amp; b", "a ~~s~~", "# title", "- item", "1. item", "two\nlines"]:
        assert not _plain(text), text
        assert render_markdown(text) == render_full(text)
