"""What the server renders for pages and their scripts: every time as a <time datetime="…Z"> that the
page localizes (deadlines and due dates as the end of the agreed day, with data-format="deadline");
overdue milestones flagged by the server's rule (in the job view and on the dashboard); the message
limit sent with the job; and the agreement diff's dates as dates, not raw ISO text."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import update

from tests.money_support import activate, submit
from tests.support import terms
from workspace.db import iso
from workspace.domain.agreement import diff_terms, due_at
from workspace.services.views import overdue_view


def csrf(client, path: str = "/login") -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]


def log_in(client, person) -> None:
    r = client.post("/login", data={"email": person["email"], "password": "correct horse battery",
                                    "csrf_token": csrf(client)})
    assert r.status_code == 302, r.status_code


def move_due(app, milestone_id: int, due: date) -> None:
    """Terms refuse past due dates, so the clock is turned by changing the row."""
    from workspace.extensions import db
    from workspace.models import Milestone

    with app.app_context():
        db.session.execute(update(Milestone).where(Milestone.id == milestone_id).values(due=due))
        db.session.commit()


# ---------------------------------------------------------------- the rule

def test_an_agreed_day_is_due_by_its_end_on_the_servers_clock():
    assert due_at(date(2026, 12, 26)) == datetime(2026, 12, 26, 23, 59, 59, tzinfo=timezone.utc)


def test_overdue_is_the_end_of_the_due_day_passed_while_the_work_is_still_to_deliver():
    day = date(2026, 12, 26)
    before, after = datetime(2026, 12, 26, 23, 0, tzinfo=timezone.utc), datetime(2026, 12, 27, 0, 0, tzinfo=timezone.utc)
    for state in ("planned", "changes_requested"):
        assert overdue_view(day, state, before) == {"due_at": "2026-12-26T23:59:59.000000Z", "overdue": False,
                                                    "overdue_at": "2026-12-26T23:59:59.000000Z"}
        assert overdue_view(day, state, after)["overdue"] is True
    for state in ("submitted", "approved", "paid", "cancelled"):  # delivered, or nothing left to deliver
        assert overdue_view(day, state, after) == {"due_at": "2026-12-26T23:59:59.000000Z", "overdue": False,
                                                   "overdue_at": None}


# ---------------------------------------------------------------- the job view and the pages

def test_the_job_view_says_which_milestone_is_overdue_and_the_message_limit(app, api, people, job):
    from workspace.services.messages import BODY_MAX

    state = activate(api, people, job, terms(upfront={"kind": "none"}))
    first, second = state["milestones"]
    assert state["limits"] == {"message_chars": BODY_MAX}
    assert not first["overdue"] and first["overdue_at"] == first["due_at"]
    move_due(app, first["id"], date.today() - timedelta(days=3))
    move_due(app, second["id"], date.today() - timedelta(days=1))
    submit(api, people["freelancer"], second["id"])  # delivered on time or not, it waits for the client now
    view = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]
    late, waiting = view["milestones"]
    assert late["overdue"] is True and late["due_at"] == iso(due_at(date.today() - timedelta(days=3)))
    assert waiting["overdue"] is False and waiting["overdue_at"] is None


def test_the_dashboard_flags_an_overdue_next_milestone_and_renders_times_to_localize(app, client, api, people, job):
    state = activate(api, people, job, terms(upfront={"kind": "none"}))
    log_in(client, people["client"])
    page = client.get("/jobs").get_data(as_text=True)
    deadline = date.fromisoformat(state["agreement"]["terms"]["deadline"])
    assert f'<time datetime="{deadline.isoformat()}T23:59:59Z" data-format="deadline">' in page
    assert 'job-overdue' not in page and re.search(r'class="pill overdue-pill"[^>]*data-overdue="false"[^>]*hidden', page)
    move_due(app, state["milestones"][0]["id"], date.today() - timedelta(days=2))
    page = client.get("/jobs").get_data(as_text=True)
    assert "job-card job-overdue" in page
    assert re.search(r'class="pill overdue-pill" data-overdue="true" data-overdue-at="[^"]+Z">Overdue', page)


def test_the_agreement_page_renders_every_moment_and_day_as_a_time_element(client, api, people, job):
    activate(api, people, job)
    later = terms(deadline=(date.today() + timedelta(days=40)).isoformat())
    api.propose(people["freelancer"], job["id"], later)
    log_in(client, people["client"])
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" data-format="datetime">\d\d \w{3} \d{4}, '
                     r'\d\d:\d\d UTC</time>', page)  # proposed at, accepted at: the UTC text is the fallback
    cells = re.findall(r'<td class="(?:before|after)">([^<]*<time[^>]*data-format="deadline"[^>]*>[^<]*</time>)', page)
    assert cells, "the deadline and due dates of the diff are time elements"
    assert (date.today() + timedelta(days=40)).isoformat() + "</td>" not in page  # never the raw ISO day


def test_the_diff_carries_days_as_dates_for_the_page_to_show():
    old, new = terms(), terms(deadline=(date.today() + timedelta(days=40)).isoformat())
    rows = {r["field"]: r for r in diff_terms(old, new)}
    assert rows["Deadline"]["before"] == date.fromisoformat(old["deadline"])
    assert rows["Deadline"]["after"] == date.today() + timedelta(days=40) and rows["Deadline"]["changed"]
    label = rows["Milestone 1"]["after"]
    assert label[1] == date.fromisoformat(old["milestones"][0]["due"]) and label[0].endswith(", due ")
    assert not rows["Milestone 1"]["changed"]


# ---------------------------------------------------------------- mediation and mediators (issue 11)

def _form_data(body: dict, **extra: str) -> dict:
    from workspace.web.forms import form_from_terms

    typed = form_from_terms(body)
    data = {k: str(v) for k, v in typed.items() if k != "milestones"}
    for i, m in enumerate(typed["milestones"]):
        data.update({f"m-{i}-{k}": str(v) for k, v in m.items()})
    return {**data, **extra}


def test_the_agreement_form_offers_binding_mediation_and_the_diff_and_summary_show_it(client, api, people, job):
    activate(api, people, job)
    log_in(client, people["freelancer"])
    form = client.get(f"/jobs/{job['id']}/agreement/propose").get_data(as_text=True)
    assert 'name="mediation_binding" value="yes"' in form and "A mediator's resolution binds both sides" in form
    token = csrf(client, f"/jobs/{job['id']}/agreement/propose")
    r = client.post(f"/jobs/{job['id']}/agreement/propose",
                    data=_form_data(terms(), mediation_binding="yes", csrf_token=token))
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    pending = api.ok("GET", f"/jobs/{job['id']}", people["client"])["job"]["pending_agreement"]
    assert pending["terms"]["mediation_binding"] is True
    page = client.get(f"/jobs/{job['id']}/agreement").get_data(as_text=True)
    row = re.search(r"Mediator&#39;s resolution</th>(.*?)</tr>", page, re.S)
    assert row and "A proposal both sides accept" in row.group(1) and "Binds both sides" in row.group(1)
    again = client.get(f"/jobs/{job['id']}/agreement/propose").get_data(as_text=True)
    assert re.search(r'name="mediation_binding" value="yes"\s+checked', again)  # the next version starts from it


def test_mediators_are_invited_from_the_people_page_and_by_clients_from_the_room(client, api, people, job):
    activate(api, people, job)
    log_in(client, people["freelancer"])
    page = client.get(f"/jobs/{job['id']}/invites").get_data(as_text=True)
    assert 'value="mediator"' in page and 'value="viewer"' in page
    r = client.post(f"/jobs/{job['id']}/invites", data={"role": "mediator", "csrf_token": csrf(client, f"/jobs/{job['id']}/invites")})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/jobs/{job['id']}/invites")
    shown = client.get(f"/jobs/{job['id']}/invites").get_data(as_text=True)
    assert 'id="invite-url"' in shown and "Send this link to your mediator" in shown
    # A reload shows the page again: the link is not shown twice and no second one is made.
    again = client.get(f"/jobs/{job['id']}/invites").get_data(as_text=True)
    assert 'id="invite-url"' not in again
    assert len([i for i in api.ok("GET", f"/jobs/{job['id']}/invites", people["freelancer"])["invites"]
                if i["role"] == "mediator"]) == 1
    client.post("/logout", data={"csrf_token": csrf(client, "/jobs")})
    log_in(client, people["client"])
    assert client.get(f"/jobs/{job['id']}/invites").status_code == 403  # the freelancer manages the links
    room = client.get(f"/jobs/{job['id']}/").get_data(as_text=True)
    assert 'id="invite-form"' in room and 'value="mediator" checked' in room
    assert "Download the record (dossier.zip)" in room and 'id="job-billing"' in room and 'id="dispute-banner"' in room


def test_an_error_page_is_titled_as_it_reads(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "<title>Not found · Workspace</title>" in page.get_data(as_text=True)
