"""A notification quotes a message (or a note) as plain text: its words as the room shows them, without
the Markdown that writes them (no `**`, `#`, list markers, `[text](url)`), and a plain line as it is."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from workspace.domain import event_types as ev
from workspace.domain.notify_text import BODY_MAX, describe
from workspace.rendering import render_full

MARKDOWN = (
    "# Two directions\n\n"
    "Here are **two directions**, see [the board](https://example.com/board):\n\n"
    "- A: classic *serif*\n"
    "- B: modern ~~sans~~ `grotesk`\n\n"
    "1. pick one\n"
    "2. tell me &amp; I start\n\n"
    "> quoted line\n"
)


def message_body(text: str, files: int = 0) -> str:
    data = {"message": {"body": text, "attachments": [{}] * files}}
    return describe(ev.MESSAGE_POSTED, data, "Carl Client", "Logo and brand kit")[1]


def assert_no_markup(body: str) -> None:
    assert "**" not in body and "~~" not in body and "`" not in body, body
    assert "#" not in body and "](" not in body and "[" not in body, body
    assert not re.search(r"(^|\s)[-*+>] ", body), body  # no list or quote markers
    assert not re.search(r"(^|\s)\d+[.)] ", body), body
    assert "&amp;" not in body, body


def test_a_markdown_message_becomes_its_words():
    body = message_body(MARKDOWN)
    assert_no_markup(body)
    assert body == ("Two directions Here are two directions, see the board: A: classic serif "
                    "B: modern sans grotesk pick one tell me & I start quoted line")


def test_the_reported_messages():
    assert message_body("Looks great, thanks! Quick q: can we add a **favicon**?") == (
        "Looks great, thanks! Quick q: can we add a favicon?")
    body = message_body("Here are **two directions**:\n- A: classic serif\n- B: bold geometric")
    assert body == "Here are two directions: A: classic serif B: bold geometric"


@pytest.mark.parametrize("text", [
    "Starting today",
    "Q: can we meet at 3 - or 4? It's 100% fine; e-mail me (or call).",
    "A line\nand another   with  spaces",
])
def test_a_plain_message_is_unchanged(text):
    assert message_body(text) == " ".join(text.split())


def test_long_text_is_clipped_after_the_markup_is_out():
    body = message_body("**" + "word " * 200 + "end**")
    assert len(body) == BODY_MAX and body.endswith("…") and "*" not in body
    huge = message_body("[a link](https://example.com/" + "x" * 5000 + ") " + "more " * 1000)
    assert huge.startswith("a link more more") and len(huge) <= BODY_MAX and "](" not in huge
    paragraphs = message_body("\n\n".join(f"**Part {n}** " + "word " * 60 for n in range(40)))
    assert paragraphs.startswith("Part 0 word word") and len(paragraphs) == BODY_MAX and "*" not in paragraphs
    short_then_long = message_body("**Short**\n\n" + "[x](https://example.com/" + "y" * 9000 + ")")
    assert short_then_long == "Short x"


def test_markup_only_falls_back_like_an_empty_message():
    assert message_body("---", files=2) == "2 file(s)"
    assert message_body("", files=1) == "1 file(s)"


def test_notes_of_submissions_and_progress_are_plain_too():
    submitted = describe(ev.MILESTONE_SUBMITTED,
                         {"milestone": {"title": "Concepts", "submission": {"note": "See **both** files"}}},
                         "Fay", "Logo")[1]
    progress = describe(ev.PROGRESS_POSTED, {"progress": {"percent": 40, "note": "- layout\n- colours"}},
                        "Fay", "Logo")[1]
    assert (submitted, progress) == ("See both files", "layout colours")
    # Reasons are shown as written in the room (not as Markdown): they stay as they are.
    changes = describe(ev.MILESTONE_CHANGES_REQUESTED, {"milestone": {"title": "Concepts"}, "reason": "**bigger**"},
                       "Carl", "Logo")[1]
    assert changes == "**bigger**"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def room_text(markdown: str) -> str:
    """The text content of the room's HTML for a message, whitespace collapsed."""
    parser = _Text()
    parser.feed(render_full(markdown))
    return " ".join(html.unescape("".join(parser.parts)).split())


@pytest.mark.parametrize("text", [
    MARKDOWN,
    "Looks great, thanks! Quick q: can we add a **favicon**?",
    "see www.example.com and https://example.com/a_b?x=1&y=2 please",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```py\nprint('hi')\n```\nafter",
    "escaped \\*stars\\* and _under_ and <b>not html</b> and 3 < 4",
    "Setext\n======\nbody",
    "Just words, nothing else",
])
def test_the_words_are_the_rooms(text):
    """Same words as the rendered, sanitized HTML's text (what the room shows), for the same text."""
    assert message_body(text) == room_text(text)


def test_a_new_notification_and_an_edited_one_say_the_plain_text(api, people, job):
    f, c = people["freelancer"], people["client"]
    posted = api.ok("POST", f"/jobs/{job['id']}/messages", f, {"body": "Can we add a **favicon**?"}, status=201)["event"]
    notified = [n for n in api.ok("GET", "/notifications", c)["notifications"] if n["seq"] == posted["seq"]]
    assert [n["body"] for n in notified] == ["Can we add a favicon?"]
    message_id = posted["data"]["message"]["id"]
    api.ok("PATCH", f"/jobs/{job['id']}/messages/{message_id}", f, {"body": "Can we add a [favicon](https://x.example)?\n- and a logo"})
    notified = [n for n in api.ok("GET", "/notifications", c)["notifications"] if n["seq"] == posted["seq"]]
    assert [n["body"] for n in notified] == ["Can we add a favicon? and a logo"]


def test_a_review_of_the_client_and_a_revisions_day_read_as_people_say_them():
    from workspace.domain.notify_text import describe

    assert describe("review.posted", {"review": {"rating": 5, "text": "Lovely client", "role": "freelancer"}},
                    "Fran", "Logo")[0] == "Fran left you a review: 5/5"
    assert describe("review.posted", {"review": {"rating": 4, "text": "", "role": "client"}},
                    "Cleo", "Logo")[0] == "Cleo reviewed your work: 4/5"
    proposed = {"dispute": {"proposals": [{"kind": "revision", "due": "2026-12-22"}]}, "milestone": {"title": "M"}}
    assert describe("dispute.proposed", proposed, "Mia", "Logo")[1] == "Proposed: one more revision, due Tue 22 Dec 2026."
