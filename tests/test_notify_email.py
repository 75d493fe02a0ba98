"""Notification emails through a real SMTP server: who gets what, links, headers, batching, read in the
app, preferences and digests, retries; reminders exactly once; auto-approval waits for the warning."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import make_test_app
from tests.mailbox import html_of, links_in, text_of
from tests.money_support import activate, submit


@pytest.fixture
def app(database_url: str, tmp_path: Any, mailbox: Any) -> Any:
    """The app with real SMTP (the mailbox) and links to http://localhost."""
    app = make_test_app(database_url, tmp_path, SMTP_URL=mailbox.url, PUBLIC_URL="http://localhost",
                        MAIL_RETRY_BASE=1)
    yield app
    from workspace.extensions import db

    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


def verified(app: Any) -> None:
    """Everyone's address is verified (the verification journey has its own tests)."""
    from workspace.db import transaction, utcnow
    from workspace.models import User

    with app.app_context(), transaction() as tx:
        tx.session.execute(update(User).values(email_verified_at=utcnow()))


def run_round(app: Any, later: timedelta = timedelta(0)) -> dict[str, int]:
    """One scheduled round, `later` from now."""
    from workspace import tasks
    from workspace.db import utcnow

    with app.app_context():
        return tasks.run_once(app, utcnow() + later)


def outbox_rows(app: Any) -> list[Any]:
    from workspace.extensions import db
    from workspace.models import EmailOutbox

    with app.app_context():
        rows = list(db.session.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))
        db.session.remove()
        return rows


AFTER_DELAY = timedelta(seconds=601)


class Notices:
    """The mailbox, seen as notification emails only (not verification or account mail)."""

    def __init__(self, box: Any) -> None:
        self.box = box
        self.url = box.url

    def to(self, address: str) -> list[Any]:
        return [m for m in self.box.to(address) if m["X-Workspace-Purpose"] in ("notifications", "digest")]

    def wait_to(self, address: str, count: int = 1) -> list[Any]:
        self.box.wait_for(lambda _ms: len(self.to(address)) >= count)
        return self.to(address)


@pytest.fixture
def notices(mailbox: Any) -> Notices:
    return Notices(mailbox)


def all_read(app: Any, people: dict[str, Any]) -> None:
    """Everyone has seen what happened so far (setting up the job made notifications too)."""
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import notifications

    with app.app_context():
        for person in people.values():
            notifications.mark_read(db.session.get(User, person["id"]), all_=True) \
                if notifications.list_notifications(db.session.get(User, person["id"]), unread=1)["unread"] else None
        db.session.remove()


@pytest.fixture
def active(app, api, people, job):
    state = activate(api, people, job)
    verified(app)
    all_read(app, people)
    return state, [m["id"] for m in state["milestones"]]


def test_a_submission_emails_the_client_once_with_a_link_to_the_event(app, api, people, active, notices):
    state, (m1, _m2) = active
    submit(api, people["freelancer"], m1, "Two concepts attached")
    run_round(app)  # nothing is due before the delay
    assert not notices.to(people["client"]["email"])
    run_round(app, AFTER_DELAY)
    mails = notices.wait_to(people["client"]["email"])
    assert len(mails) == 1
    mail = mails[0]
    assert "submitted “Concepts” for your review" in mail["Subject"]
    assert "Two concepts attached" in text_of(mail) and "Two concepts attached" in html_of(mail)
    seq = next(e["seq"] for e in api.events(people["client"], state["id"])["events"] if e["type"] == "milestone.submitted")
    assert f"http://localhost/jobs/{state['id']}/?event={seq}#event-{seq}" in links_in(mail)
    assert mail["Message-ID"] and mail["List-Unsubscribe"].strip().startswith("<http://localhost/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Reply-To"].strip().startswith("reply+")
    assert any("/notifications/preferences/" in link for link in links_in(mail))
    # The actor and the viewer are not told of a submission (the rule table).
    assert not notices.to(people["freelancer"]["email"]) and not notices.to(people["viewer"]["email"])
    run_round(app, AFTER_DELAY * 2)
    assert len(notices.to(people["client"]["email"])) == 1  # never twice


def test_five_events_make_one_email_and_what_was_read_in_the_app_makes_none(app, api, people, active, notices):
    state, _ids = active
    from workspace.services import members, messages
    from workspace.extensions import db
    from workspace.models import User

    with app.app_context():
        freelancer = db.session.get(User, people["freelancer"]["id"])
        for n in range(5):
            messages.post_message(freelancer, state["id"], f"Update number {n}")
        viewer = db.session.get(User, people["viewer"]["id"])
        last = api.events(people["viewer"], state["id"])["last_seq"]
        members.mark_read(viewer, state["id"], last)  # the viewer read the room
        db.session.remove()
    run_round(app, AFTER_DELAY)
    mails = notices.wait_to(people["client"]["email"])
    assert len(mails) == 1 and mails[0]["Subject"] == "5 updates in Logo for Acme"
    body = text_of(mails[0])
    assert all(f"Update number {n}" in body for n in range(5))
    assert notices.to(people["viewer"]["email"]) == []
    assert notices.to(people["freelancer"]["email"]) == []  # they wrote them


def test_what_comes_after_the_first_rides_along_in_its_email(app, api, people, active, notices):
    """Notifications spread over minutes make one email when the first is due (as Zulip batches), not
    one email each as each one's own delay runs out; nothing is emailed twice."""
    from workspace.db import transaction, utcnow
    from workspace.extensions import db
    from workspace.models import Notification, User
    from workspace.services import messages

    state, _ids = active
    with app.app_context():
        freelancer = db.session.get(User, people["freelancer"]["id"])
        messages.post_message(freelancer, state["id"], "First news")
        second = messages.post_message(freelancer, state["id"], "News nine minutes later")
        with transaction() as tx:  # as if it had come nine minutes after the first
            tx.session.execute(update(Notification).where(Notification.seq == second["seq"])
                               .values(email_due_at=utcnow() + timedelta(minutes=19)))
        db.session.remove()
    run_round(app, AFTER_DELAY)
    mails = notices.wait_to(people["client"]["email"])
    assert len(mails) == 1 and "First news" in text_of(mails[0]) and "News nine minutes later" in text_of(mails[0])
    run_round(app, AFTER_DELAY * 2)
    assert len(notices.to(people["client"]["email"])) == 1


def test_went_live_is_not_emailed_once_the_session_is_over(app, api, people, active, notices):
    """A session that ended before its notification's email was due is no news; the control: one
    still running is emailed."""
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import live

    state, _ids = active
    with app.app_context():
        freelancer = db.session.get(User, people["freelancer"]["id"])
        live.start_session(freelancer, state["id"], "sid-1", "Quick look")
        live.stop_session(freelancer, state["id"])
        db.session.remove()
    run_round(app, AFTER_DELAY)
    assert notices.to(people["client"]["email"]) == []
    with app.app_context():
        live.start_session(db.session.get(User, people["freelancer"]["id"]), state["id"], "sid-2", "Long session")
        db.session.remove()
    run_round(app, AFTER_DELAY)
    mails = notices.wait_to(people["client"]["email"])
    assert len(mails) == 1 and "went live" in mails[0]["Subject"] and "Quick look" not in text_of(mails[0])


def test_preferences_off_and_digest(app, api, people, active, notices):
    state, (m1, _m2) = active
    client, viewer = people["client"], people["viewer"]
    api.ok("PUT", "/me/notification-settings", client, {"settings": {"messages": "off", "milestones": "digest"}})
    assert api.call("PUT", "/me/notification-settings", client, {"settings": {"money": "off"}}).status_code == 422
    api.ok("PUT", "/me/notification-settings", viewer, {"settings": {"messages": "digest"}})
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import messages

    with app.app_context():
        messages.post_message(db.session.get(User, people["freelancer"]["id"]), state["id"], "Hello both")
        db.session.remove()
    submit(api, people["freelancer"], m1)
    run_round(app, AFTER_DELAY)
    assert notices.to(client["email"]) == [] and notices.to(viewer["email"]) == []
    run_round(app, timedelta(days=1, seconds=1))  # past the next digest hour
    client_mail = notices.wait_to(client["email"])
    assert len(client_mail) == 1 and "daily digest" in text_of(client_mail[0])
    assert "submitted “Concepts”" in text_of(client_mail[0]) and "Hello" not in text_of(client_mail[0])


def test_unverified_addresses_wait_and_nothing_is_lost_when_smtp_is_down(app, api, people, job, notices, tmp_path):
    from workspace.db import transaction, utcnow
    from workspace.mail.outbox import release_held, send_due
    from workspace.models import User

    state = activate(api, people, job)  # nobody verified: the client's email is held
    submit(api, people["freelancer"], state["milestones"][0]["id"])
    run_round(app, AFTER_DELAY)
    held = [r for r in outbox_rows(app) if r.to_addr == people["client"]["email"] and r.purpose == "notifications"]
    assert [r.status for r in held] == ["held"] and notices.to(people["client"]["email"]) == []
    # SMTP goes away: the row stays pending with back-off instead of being lost.
    app.config["SMTP_URL"] = "smtp://127.0.0.1:9"
    with app.app_context(), transaction() as tx:
        tx.session.execute(update(User).where(User.id == people["client"]["id"]).values(email_verified_at=utcnow()))
        release_held(tx.session, people["client"]["id"])
    with app.app_context():
        assert send_due() == 0
    row = next(r for r in outbox_rows(app) if r.id == held[0].id)
    assert row.status == "pending" and row.attempts == 1 and row.last_error and row.next_attempt_at > utcnow()
    app.config["SMTP_URL"] = notices.url
    with app.app_context():
        assert send_due(utcnow() + timedelta(seconds=5)) >= 1
    assert len(notices.wait_to(people["client"]["email"])) == 1
    row = next(r for r in outbox_rows(app) if r.id == held[0].id)
    assert row.status == "sent" and row.attempts == 2


def test_without_smtp_mail_is_written_to_the_instance_folder(app, api, people, active, tmp_path):
    state, (m1, _m2) = active
    app.config["SMTP_URL"] = None
    submit(api, people["freelancer"], m1)
    run_round(app, AFTER_DELAY)
    files = [f for f in (tmp_path / "mail").glob("*.eml") if b"X-Workspace-Purpose: notifications" in f.read_bytes()]
    assert len(files) == 1 and b"Concepts" in files[0].read_bytes()  # only clients hear of submissions



# ---------------------------------------------------------------- reminders and auto-approval

def test_reminders_are_sent_once_per_occasion(app, api, people, active, notices):
    state, (m1, _m2) = active
    from workspace.services import reminders
    from workspace.db import utcnow

    def titles(who: str) -> list[str]:
        body = api.ok("GET", "/notifications?limit=100", people[who])
        return [n["title"] for n in body["notifications"]]

    # 28 days later: the deadline (30 days) is 3 days away, milestone 1 (10 days) is overdue,
    # and the promised daily update lapsed long ago.
    later = utcnow() + timedelta(days=28, hours=1)
    with app.app_context():
        first = reminders.run(later)
        again = reminders.run(later)
    assert first > 0 and again == 0
    assert "Logo for Acme is due in 3 days" in titles("freelancer") and "Logo for Acme is due in 3 days" in titles("client")
    assert "“Concepts” is overdue" in titles("client")
    assert "Your update for Logo for Acme is overdue" in titles("freelancer")
    assert not any("update" in t for t in titles("client"))
    # Half a day before the deadline's end (the end of its UTC day, whatever the time of day now).
    from datetime import date

    from workspace.domain.agreement import due_at

    deadline_end = due_at(date.today() + timedelta(days=30))  # tests/support.terms()
    with app.app_context():
        reminders.run(deadline_end - timedelta(hours=12))
    due_tomorrow = [t for t in titles("client") if "due tomorrow" in t]
    assert due_tomorrow == ["Logo for Acme is due tomorrow"]
    run_round(app, timedelta(days=29, hours=12))
    subjects = [m["Subject"] for m in notices.wait_to(people["client"]["email"])]
    assert any("due tomorrow" in s or "updates in" in s for s in subjects)


def test_a_milestone_is_overdue_for_reminders_when_the_room_says_so(app, api, people, active):
    """One rule for "overdue": the reminder and the room's flag (`views.overdue_view`) turn at the same
    moment, the end of the due day (23:59:59 UTC), not a second apart."""
    from datetime import date

    from workspace.domain.agreement import due_at
    from workspace.services import reminders
    from workspace.services.views import overdue_view

    state, _ids = active
    due = date.fromisoformat(state["milestones"][0]["due"])
    end = due_at(due)

    def overdue_titles() -> list[str]:
        body = api.ok("GET", "/notifications?limit=100", people["client"])
        return [n["title"] for n in body["notifications"] if n["title"].endswith("is overdue")]

    with app.app_context():
        reminders.run(end - timedelta(seconds=1))
    assert overdue_titles() == [] and overdue_view(due, "planned", end - timedelta(seconds=1))["overdue"] is False
    with app.app_context():
        reminders.run(end + timedelta(milliseconds=500))  # the last half second of the old rule
    assert overdue_titles() == ["“Concepts” is overdue"]
    assert overdue_view(due, "planned", end + timedelta(milliseconds=500))["overdue"] is True


def test_auto_approval_waits_until_the_clients_were_warned(app, api, people, job, notices):
    """A 1-day window: the warning is the whole window, so approval waits a full day after the client
    was actually told (here: by email)."""
    from tests.support import terms
    from workspace.db import utcnow

    state = activate(api, people, job, terms(auto_approve_days=1))
    verified(app)
    all_read(app, people)
    m1 = state["milestones"][0]["id"]
    submit(api, people["freelancer"], m1)
    # Nobody ran the scheduler for two days: the window ran out without a warning.
    from workspace.services.deliveries import approve_overdue

    with app.app_context():
        assert approve_overdue(now=utcnow() + timedelta(days=2)) == 0
    events = api.events(people["client"], state["id"])["events"]
    extended = [e for e in events if e["type"] == "milestone.review_extended"]
    assert len(extended) == 1 and extended[0]["data"]["reason"] == "clients_not_told"
    milestone = api.ok("GET", f"/jobs/{state['id']}", people["client"])["job"]["milestones"][0]
    assert milestone["state"] == "submitted"
    # The scheduler warns the client (in the app and by email) ...
    run_round(app, timedelta(days=2, minutes=1))
    warning = [m for m in notices.wait_to(people["client"]["email"]) if "approved automatically in" in text_of(m)]
    assert warning
    # ... and approves only once the whole warning period has passed since.
    run_round(app, timedelta(days=2, hours=12))
    assert api.ok("GET", f"/jobs/{state['id']}", people["client"])["job"]["milestones"][0]["state"] == "submitted"
    run_round(app, timedelta(days=3, hours=1))
    final = api.ok("GET", f"/jobs/{state['id']}", people["client"])["job"]["milestones"][0]
    assert final["state"] == "approved" and final["auto_approved"] is True


def test_mail_held_for_an_unconfirmed_address_is_planned_again_once_confirmed(app, api, people, job, notices):
    """Batches composed while the address waited went out all at once on confirming it, each as it was
    composed (about what was read or turned off since): now one email per job of what is still wanted."""
    from workspace.services import recovery

    state = activate(api, people, job)
    f, c = people["freelancer"], people["client"]
    submit(api, f, state["milestones"][0]["id"], "Two concepts")
    run_round(app, AFTER_DELAY)
    api.ok("POST", f"/jobs/{job['id']}/messages", f, {"body": "Did you see the concepts?"}, status=201)
    run_round(app, AFTER_DELAY * 2)
    held = [r for r in outbox_rows(app) if r.to_addr == c["email"] and r.status == "held" and r.purpose == "notifications"]
    assert len(held) == 2  # two batches waited
    api.ok("PUT", "/me/notification-settings", c, {"settings": {"messages": "off"}})
    with app.app_context():
        recovery.mark_verified(c["id"])
    run_round(app, AFTER_DELAY * 3)
    mails = notices.wait_to(c["email"])
    assert len(mails) == 1
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "Two concepts" in text or "submitted" in text
    assert "Did you see the concepts?" not in text  # turned off since
    assert not [r for r in outbox_rows(app) if r.to_addr == c["email"] and r.status == "held"]


def test_message_ids_stay_unique_when_the_random_module_repeats_itself(app):
    """Two emails queued within one clock tick by a process whose `random` state repeats (a seeded test,
    a forked worker) once got one Message-ID, the outbox's unique key: the second request answered 500."""
    import random

    from workspace.mail.outbox import message_id

    with app.app_context():
        random.seed(7)
        first = message_id()
        random.seed(7)
        assert message_id() != first
        assert first.startswith("<") and first.endswith(">") and "@" in first
