"""An invoice's PDF names the job by its title and what it bills in words (the milestone's number and
title, the advance's terms version, the disputed milestone), never by the job's public id or the
invoice's internal ref ("milestone:4"). The stored invoice keeps its ref: it is what makes issuing
idempotent, and the JSON view still shows it."""
from __future__ import annotations

import io
import re
from typing import Any

from tests.money_support import activate, approve, settle_below_approved, submit
from tests.support import ApiActions


def _pdf_text(api: ApiActions, who: dict[str, Any], invoice: dict[str, Any]) -> str:
    from pypdf import PdfReader

    response = api.call("GET", f"/invoices/{invoice['id']}.pdf", who)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def _invoices(api: ApiActions, who: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    return api.ok("GET", f"/jobs/{job_id}/invoices", who)["invoices"]


def _no_internal_ids(text: str, job: dict[str, Any]) -> None:
    assert not re.search(r"\b(milestone|upfront|dispute):\d+", text), text
    assert job["id"] not in text, text


def test_a_milestone_invoice_names_the_job_and_the_milestone(api: ApiActions, people: dict[str, Any],
                                                             job: dict[str, Any]) -> None:
    f, c = people["freelancer"], people["client"]
    state = activate(api, people, job)  # 10,000 up front: INV-0001 is the advance
    title = state["title"]
    assert title
    second = state["milestones"][1]
    submit(api, f, second["id"])
    assert approve(api, c, second["id"]).status_code == 200
    advance, invoice = _invoices(api, c, job["id"])
    assert invoice["ref"] == f"milestone:{second['id']}"  # the stored ref is kept as issued

    text = _pdf_text(api, c, invoice)
    assert title in text, text
    assert "Milestone 2 “Final”" in text, text  # its number in the plan and its title
    _no_internal_ids(text, job)

    text = _pdf_text(api, people["viewer"], advance)
    assert title in text and "Advance under the terms of version 1" in text, text
    _no_internal_ids(text, job)


def test_a_credit_note_names_the_disputed_milestone(api: ApiActions, people: dict[str, Any],
                                                    job: dict[str, Any]) -> None:
    credit = settle_below_approved(api, people, job)[-1]
    assert credit["kind"] == "credit_note" and credit["ref"].startswith("dispute:")

    text = _pdf_text(api, people["freelancer"], credit)
    assert job["title"] in text and "Dispute over milestone 1 “Concepts”" in text, text
    _no_internal_ids(text, job)


def test_the_pdf_without_labels_still_shows_no_internal_ref() -> None:
    """A caller that passes only the JSON view (the dossier's copy) gets the kind in words, not the ref."""
    from workspace.services.invoice_pdf import _issued_line

    view = {"issued_at": "2026-11-27T10:00:00Z", "job": "mWOBuCffSbxiR7ye", "ref": "milestone:4"}
    assert _issued_line(view, "Logo design", "Milestone 1 “Concepts”") == \
        "Issued 2026-11-27 · Job “Logo design” · Milestone 1 “Concepts”"
    assert "milestone:4" not in _issued_line(view, None, None)
    assert _issued_line({**view, "ref": "upfront:2"}, "Logo", None) == \
        "Issued 2026-11-27 · Job “Logo” · Advance under the terms of version 2"
