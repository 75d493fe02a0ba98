"""Quote and signature stripping on a corpus of replies as real mail clients write them."""
from __future__ import annotations

import pytest

from workspace.mail.reply_text import html_to_text, strip_html_reply, strip_reply, unflow

# What our notification email says (templates/email/notifications.html), as clients quote it.
OURS = """While you were away from Logo for Acme:

- New message from Fay Freelancer
  Here are the two concepts, which one do you prefer?
  http://127.0.0.1:5000/jobs/AbCdEfGhIjKlMnOp#event-12

Reply to this email to post a message in the room.

Open the room: http://127.0.0.1:5000/jobs/AbCdEfGhIjKlMnOp#event-12
--
Email preferences: http://127.0.0.1:5000/notifications/preferences/abc
Unsubscribe: http://127.0.0.1:5000/unsubscribe/def"""


def quoted(text: str, mark: str = "> ") -> str:
    return "\n".join((mark + line).rstrip() for line in text.splitlines())


GMAIL_ATTR = "On Mon, Jan 5, 2026 at 10:04 AM Workspace <workspace@example.test> wrote:"
SIGNED = "The second one, please. Can you try it in dark blue?\n\nThanks,\nCarla"

# (name, the reply as the client sends its text part, what the room should show)
CORPUS = [
    ("plain, nothing quoted", "The second one, please.\n", "The second one, please."),
    ("gmail: top-posted, attribution, quote, signature",
     (SIGNED + "\n\n-- \nCarla Client\nAcme Corp | +1 555 0100\n\n" + GMAIL_ATTR + "\n\n" + quoted(OURS) + "\n"),
     SIGNED),
    ("gmail: attribution wrapped over two lines",
     ("Looks great!\n\nOn Mon, Jan 5, 2026 at 10:04 AM Workspace Notifications <\n"
      "reply+abc.def.ghi@example.test> wrote:\n\n" + quoted(OURS)),
     "Looks great!"),
    ("gmail: attribution wrapped over three lines",
     ("Yes.\n\nOn Monday, January 5, 2026 at 10:04:31 AM Central European Standard Time,\n"
      "Workspace Notifications <workspace@example.test>\nwrote:\n\n" + quoted(OURS)),
     "Yes."),
    ("gmail: no signature, empty quoted lines",
     ("Approved from my side.\n\nOn Tue, 6 Jan 2026 at 09:00, Workspace <workspace@example.test> wrote:\n>\n"
      + quoted(OURS) + "\n>\n"),
     "Approved from my side."),
    ("quote marks without a space", "Ok!\n\n" + GMAIL_ATTR + "\n" + quoted(OURS, ">"), "Ok!"),
    ("apple mail (iOS): signature and quoted attribution",
     ("Sounds good, go ahead.\n\nSent from my iPhone\n\n"
      "> On 5 Jan 2026, at 10:04, Workspace <workspace@example.test> wrote:\n>\n" + quoted(OURS) + "\n"),
     "Sounds good, go ahead."),
    ("apple mail (macOS): attribution inside the quote",
     ("Great work.\nI'll pay the first milestone tomorrow.\n\n"
      "> On Jan 5, 2026, at 10:04 AM, Workspace <workspace@example.test> wrote:\n> \n" + quoted(OURS)),
     "Great work.\nI'll pay the first milestone tomorrow."),
    ("iphone signature, nothing below", "Yes\n\nSent from my iPhone", "Yes"),
    ("outlook desktop: original message separator, unquoted original",
     ("Hi Fay,\n\nPlease go with concept B.\n\nRegards\nCarla\n\n-----Original Message-----\n"
      "From: Workspace <workspace@example.test>\nSent: Monday, January 5, 2026 10:04 AM\n"
      "To: Carla <carla@example.test>\nSubject: New message in Logo for Acme\n\n" + OURS),
     "Hi Fay,\n\nPlease go with concept B.\n\nRegards\nCarla"),
    ("outlook web: rule and header block, unquoted original",
     ("Concept B.\n\nGet Outlook for iOS\n________________________________\n"
      "From: Workspace <workspace@example.test>\nSent: Monday, January 5, 2026 10:04:31 AM\n"
      "To: carla@example.test <carla@example.test>\nSubject: New message\n\n" + OURS),
     "Concept B."),
    ("outlook: header block without a separator, bold markers from HTML",
     ("Thanks, received.\n\n*From:* Workspace <workspace@example.test>\n*Sent:* Monday, January 5, 2026 10:04\n"
      "*To:* Carla\n*Subject:* Payment sent\n\n" + OURS),
     "Thanks, received."),
    ("outlook german: Von / Gesendet / An",
     ("Danke, passt so.\n\nVon: Workspace <workspace@example.test>\nGesendet: Montag, 5. Januar 2026 10:04\n"
      "An: carla@example.test\nBetreff: Neue Nachricht\n\n" + OURS),
     "Danke, passt so."),
    ("thunderbird: attribution with date and name", "Agreed.\n\nOn 05/01/2026 10:04, Workspace wrote:\n"
     + quoted(OURS), "Agreed."),
    ("yahoo", ("Will do.\n\nOn Monday, January 5, 2026, 10:04:31 AM GMT+1, Workspace <workspace@example.test> "
               "wrote:\n\n" + quoted(OURS)), "Will do."),
    ("french attribution",
     ("D'accord pour le concept B.\n\n"
      "Le lun. 5 janv. 2026 à 10:04, Workspace <workspace@example.test> a écrit :\n\n" + quoted(OURS)),
     "D'accord pour le concept B."),
    ("german attribution",
     ("Einverstanden.\n\nAm Mo., 5. Jan. 2026 um 10:04 Uhr schrieb Workspace <workspace@example.test>:\n\n"
      + quoted(OURS)),
     "Einverstanden."),
    ("spanish attribution and mobile signature",
     ("Perfecto.\n\nEnviado desde mi iPhone\n\n"
      "El lun, 5 ene 2026 a las 10:04, Workspace (<workspace@example.test>) escribió:\n" + quoted(OURS)),
     "Perfecto."),
    ("dutch attribution", ("Prima.\n\nOp ma 5 jan. 2026 om 10:04 schreef Workspace <workspace@example.test>:\n\n"
                           + quoted(OURS)), "Prima."),
    ("italian attribution",
     ("Va bene.\n\nIl giorno lun 5 gen 2026 alle ore 10:04 Workspace <workspace@example.test> ha scritto:\n\n"
      + quoted(OURS)),
     "Va bene."),
    ("android: signature and original message banner",
     ("On my way, will review tonight.\n\nSent from my Galaxy\n\n-------- Original message --------\n"
      "From: Workspace <workspace@example.test>\nDate: 1/5/26 10:04 (GMT+01:00)\nTo: carla@example.test\n"
      "Subject: New message\n\n" + OURS),
     "On my way, will review tonight."),
    ("forwarded to the reply address", "FYI, see below.\n\nBegin forwarded message:\n\n" + OURS, "FYI, see below."),
    ("signature separator without the trailing space", "See attached.\n\n--\nCarla Client\nAcme\n", "See attached."),
    ("bottom-posted: quote above, answer below",
     GMAIL_ATTR + "\n" + quoted(OURS) + "\n\nConcept B, in dark blue please.\n\n-- \nCarla",
     "Concept B, in dark blue please."),
    ("interleaved: answers between the lines they answer",
     (GMAIL_ATTR + "\n> Here are the two concepts, which one do you prefer?\n\nConcept B.\n\n"
      "> Can you send the invoice?\n\nYes, tomorrow.\n\n" + quoted(OURS) + "\n"),
     ("> Here are the two concepts, which one do you prefer?\n\nConcept B.\n\n"
      "> Can you send the invoice?\n\nYes, tomorrow.")),
    ("interleaved, then a signature",
     ("> Which one?\nB.\n> When?\nFriday.\n\n-- \nCarla\n\n" + GMAIL_ATTR + "\n" + quoted(OURS)),
     "> Which one?\nB.\n> When?\nFriday."),
    ("our notification pasted without quote marks", "Fine by me.\n\n" + OURS, "Fine by me."),
    ("our notification pasted under an attribution, no quote marks",
     "Fine by me.\n\n" + GMAIL_ATTR + "\n\n" + OURS, "Fine by me."),
    ("markdown the person wrote stays",
     "Two things:\n\n- **bold** colours\n- a [link](https://example.test)\n\n```\ncode -- not a signature\n```\n",
     "Two things:\n\n- **bold** colours\n- a [link](https://example.test)\n\n```\ncode -- not a signature\n```"),
    ("a line that talks about writing is not an attribution",
     "On Monday the client wrote: fine.\nSent the files to the printer.\nOn it!",
     "On Monday the client wrote: fine.\nSent the files to the printer.\nOn it!"),
    ("a line starting with From: is not a header block on its own",
     "From: the design team, three notes.\nTo be honest they are minor.",
     "From: the design team, three notes.\nTo be honest they are minor."),
    ("windows line endings", "Yes please.\r\n\r\nOn Mon, Jan 5, 2026 at 10:04 AM Workspace wrote:\r\n> quoted\r\n",
     "Yes please."),
    ("only a quote: nothing new", GMAIL_ATTR + "\n" + quoted(OURS), ""),
    ("only a signature", "\n\n-- \nCarla Client\n", ""),
    ("proton mail signature", "Received, thank you.\n\nSent with Proton Mail secure email.\n\n" + quoted(OURS),
     "Received, thank you."),
    ("blank lines and trailing spaces", "\n\n   \nHello there   \n\n\n\nSecond paragraph\n\n\n",
     "Hello there\n\nSecond paragraph"),
]


@pytest.mark.parametrize("reply,expected", [(r, e) for _n, r, e in CORPUS], ids=[n for n, _r, _e in CORPUS])
def test_corpus(reply, expected):
    assert strip_reply(reply) == expected


def test_nothing_is_not_a_crash():
    assert strip_reply("") == "" and strip_reply(None) == ""  # type: ignore[arg-type]
    assert strip_html_reply("") == "" and html_to_text(None) == ""  # type: ignore[arg-type]


# ---------------------------------------------------------------- HTML-only replies

GMAIL_HTML = """<div dir="ltr">The second one, please.<div><br></div><div>Thanks,</div><div>Carla</div><br>
<div><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Carla Client<br>Acme Corp</div></div></div>
<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Jan 5, 2026 at 10:04 AM Workspace &lt;<a href="mailto:w@example.test">w@example.test</a>&gt; wrote:<br></div>
<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">While you were away from Logo</blockquote></div>"""

OUTLOOK_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style>p {margin:0}</style>
<title>ignored</title></head><body><div style="font-family: Calibri">Please go with concept B &amp; dark blue.</div>
<div style="font-family: Calibri"><br></div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Workspace &lt;w@example.test&gt;<br><b>Sent:</b> Monday
</font></div><div>While you were away from Logo</div></body></html>"""

APPLE_HTML = """<html><body style="overflow-wrap: break-word;">Yes, <i>that</i> one.<br><br><div>
<blockquote type="cite"><div>On 5 Jan 2026, at 10:04, Workspace &lt;w@example.test&gt; wrote:</div><br>
<div><div>While you were away</div></div></blockquote></div></body></html>"""

THUNDERBIRD_HTML = """<html><body><p>Agreed, a &lt;script&gt; tag is not code here.</p><p>Second line<br></p>
<div class="moz-cite-prefix">On 05/01/2026 10:04, Workspace wrote:<br></div><blockquote type="cite">old</blockquote>
<script>alert(1)</script></body></html>"""

HTML_ONLY_WITH_TEXT_MARKERS = """<p>Paid today.</p><p>Sent from my iPad</p><p>On Mon, Jan 5, 2026 Workspace wrote:</p>
<p>&gt; old</p>"""


@pytest.mark.parametrize("markup,expected", [
    (GMAIL_HTML, "The second one, please.\n\nThanks,\nCarla"),
    (OUTLOOK_HTML, "Please go with concept B & dark blue."),
    (APPLE_HTML, "Yes, that one."),
    (THUNDERBIRD_HTML, "Agreed, a <script> tag is not code here.\n\nSecond line"),
    (HTML_ONLY_WITH_TEXT_MARKERS, "Paid today."),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
], ids=["gmail", "outlook", "apple-mail", "thunderbird", "text-markers", "list"])
def test_html_only_replies(markup, expected):
    assert strip_html_reply(markup) == expected


def test_html_to_text_drops_every_tag_and_scripts():
    text = html_to_text('<b onclick="x()">Hi</b><script>alert(1)</script><style>b{}</style><img src=x onerror=y>there')
    assert text == "Hithere"


# ---------------------------------------------------------------- format=flowed (Thunderbird, Apple Mail)

def test_unflow_joins_soft_breaks_and_keeps_hard_ones():
    flowed = "This is a long line that the client \nwrapped for sending.\nA new line.\n\n-- \nSig"
    assert unflow(flowed) == "This is a long line that the client wrapped for sending.\nA new line.\n\n-- \nSig"


def test_unflow_with_delsp_and_quotes_and_space_stuffing():
    # delsp=yes: the space before a soft break was added by the client and goes too.
    flowed = "Answer, wrap \nped.\n>> quoted  \n>> text\n> other\n  From here (space-stuffed)\n"
    assert unflow(flowed, delsp=True) == (
        "Answer, wrapped.\n> > quoted text\n> other\n From here (space-stuffed)\n")


def test_flowed_reply_end_to_end():
    flowed = ("I agree with the plan and will send the signed \ncopy tomorrow morning.\n\n-- \nCarla\n\n"
              "On Mon, Jan 5, 2026 at 10:04 AM Workspace wrote:\n> While you were away \n> from Logo:\n")
    assert strip_reply(unflow(flowed)) == "I agree with the plan and will send the signed copy tomorrow morning."
