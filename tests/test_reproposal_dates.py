"""New terms proposed mid-job carry the milestones already agreed with the dates they had, even once
those dates have passed; a milestone newly due in the past is still refused."""
from __future__ import annotations

from datetime import date, timedelta

from tests.money_support import activate
from tests.support import terms


def test_a_past_due_milestone_carried_over_is_accepted(api, people, job, monkeypatch):
    from workspace.services import agreements

    activate(api, people, job)
    later = date.today() + timedelta(days=12)  # milestone 1 (due in 10 days) is now overdue
    monkeypatch.setattr(agreements, "_today", lambda: later)
    carried = terms(scope="Design a logo and a favicon.")
    assert api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], carried).status_code == 201

    fresh_past = terms(scope="Design a logo, a favicon and a banner.")
    fresh_past["milestones"][0]["due"] = (date.today() + timedelta(days=11)).isoformat()  # a new date, past
    refused = api.call("POST", f"/jobs/{job['id']}/agreements", people["freelancer"], fresh_past)
    assert refused.status_code == 422 and "milestones.0.due" in refused.get_json()["error"]["fields"]
