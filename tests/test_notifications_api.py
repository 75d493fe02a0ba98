"""Notifications through the API and pages: who is told of what, paging, marking read (also by reading
the room), live pushes, settings, the signed preferences page and one-click unsubscribe."""
from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.money_support import activate, approve, confirm, pay, submit

# Who is told of what, written out independently of workspace/domain/notify_rules.py:
# event type -> the roles told (the person who acted is never told).
EXPECTED = {
    "job.created": set(),
    "member.joined": {"freelancer", "client"},
    "agreement.proposed": "other side",
    "agreement.accepted": set(),
    "agreement.in_force": {"freelancer", "client"},
    "upfront.requested": {"client"},
    "milestone.submitted": {"client"},
    "milestone.changes_requested": {"freelancer"},
    "milestone.approved": {"freelancer"},
    "milestone.paid": set(),
    "payment.sent": {"freelancer"},
    "payment.confirmed": {"client"},
    "message.posted": {"freelancer", "client", "viewer"},
    "progress.posted": {"client", "viewer"},
}
ROLES = ("freelancer", "client", "viewer")


@pytest.fixture(autouse=True)
def roomy_limits(app):
    """These tests post dozens of messages in a second: lift the per-person message rate limit."""
    app.config["SOCKET_RATE_LIMITS"] = {**app.config.get("SOCKET_RATE_LIMITS", {}), "message": (10**6, 10)}


def notes(api, who, query=""):
    return api.ok("GET", f"/notifications{query}", who)


def everything(api, who):
    """Every notification of one person, newest first, by following `before`."""
    found, query = [], "?limit=100"
    while True:
        page = notes(api, who, query)
        found += page["notifications"]
        if not page["more"]:
            return found
        query = f"?limit=100&before={page['notifications'][-1]['id']}"


def post(api, who, job, body):
    response = api.call("POST", f"/jobs/{job['id']}/messages", who, {"body": body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["event"]


@pytest.fixture
def active(api, people, job):
    state = activate(api, people, job)
    return state, [m["id"] for m in state["milestones"]]


# ---------------------------------------------------------------- who is told of what

def test_each_event_tells_the_people_the_rule_table_names_and_never_the_actor(api, people, job, active):
    state, (m1, _m2) = active
    f, c = people["freelancer"], people["client"]
    post(api, f, job, "Starting today")
    post(api, c, job, "Great")
    assert api.call("POST", f"/jobs/{job['id']}/progress", f, {"percent": 40, "note": "Layout"}).status_code == 201
    assert submit(api, f, m1, "First take").status_code == 200
    assert api.call("POST", f"/milestones/{m1}/request-changes", c, {"reason": "Bigger logo"}).status_code == 200
    assert submit(api, f, m1, "Second take").status_code == 200
    assert approve(api, c, m1).status_code == 200
    sent = pay(api, c, job["id"], 30000)
    assert sent.status_code == 201, sent.get_json()
    assert confirm(api, f, sent.get_json()["payment"]["id"]).status_code == 200

    log = api.events(f, job["id"])["events"]
    told = {role: {n["seq"]: n for n in everything(api, people[role])} for role in ROLES}
    role_of = {people[r]["id"]: r for r in ROLES}
    seen_types = set()
    for event in log:
        actor = role_of.get((event["actor"] or {}).get("id"))
        expected = EXPECTED[event["type"]]
        if expected == "other side":
            expected = {"client"} if actor == "freelancer" else {"freelancer"}
        expected = set(expected) - {actor}
        got = {role for role in ROLES if event["seq"] in told[role]}
        assert got == expected, (event["type"], event["seq"], actor, got)
        seen_types.add(event["type"])
    assert set(EXPECTED) <= seen_types  # the walk above really covered every row

    # Each notification links to its exact event and says what it is about.
    for role in ROLES:
        for seq, n in told[role].items():
            assert n["url"] == f"/jobs/{job['id']}/?event={seq}#event-{seq}" and n["job"] == job["id"]
            assert n["title"] and n["at"].endswith("Z") and n["read"] is False
    submitted = [n for n in told["client"].values() if n["kind"] == "milestones"]
    assert [n["body"] for n in submitted if "submitted" in n["title"]] == ["Second take", "First take"]
    kinds = {log[seq - 1]["type"]: n["kind"] for seq, n in told["freelancer"].items()}
    assert kinds["payment.sent"] == "money" and kinds["milestone.approved"] == "money"
    assert kinds["milestone.changes_requested"] == "milestones" and kinds["message.posted"] == "messages"
    assert notes(api, people["outsider"]) == {"notifications": [], "unread": 0, "more": False}


# ---------------------------------------------------------------- paging and marking read

def test_pages_newest_first_by_id_with_before_and_limit(api, people, job):
    f, c = people["freelancer"], people["client"]
    for n in range(23):
        post(api, f, job, f"note {n}")
    full = everything(api, c)
    assert len(full) == 24  # 23 messages and the viewer joining
    ids = [n["id"] for n in full]
    assert ids == sorted(ids, reverse=True)
    assert full[0]["seq"] == max(n["seq"] for n in full)

    pages, query = [], "?limit=10"
    while True:
        page = notes(api, c, query)
        pages.append(page)
        assert page["unread"] == 24
        if not page["more"]:
            break
        query = f"?limit=10&before={page['notifications'][-1]['id']}"
    assert [len(p["notifications"]) for p in pages] == [10, 10, 4]
    assert [n["id"] for p in pages for n in p["notifications"]] == ids
    assert len(notes(api, c)["notifications"]) == 20  # the default page
    assert notes(api, c, f"?before={ids[-1]}") == {"notifications": [], "unread": 24, "more": False}


def test_mark_one_then_all_and_only_my_own(api, people, job):
    f, c = people["freelancer"], people["client"]
    for n in range(3):
        post(api, c, job, f"from the client {n}")
    mine = everything(api, f)
    theirs = everything(api, c)
    assert len(mine) == 5 and len(theirs) == 1

    result = api.ok("POST", "/notifications/read", f, {"ids": [mine[0]["id"]]})
    assert result == {"marked": 1, "unread": 4}
    again = api.ok("POST", "/notifications/read", f, {"ids": [mine[0]["id"]]})
    assert again == {"marked": 0, "unread": 4}  # marking twice is harmless
    assert [n["read"] for n in everything(api, f)] == [True, False, False, False, False]
    assert [n["id"] for n in notes(api, f, "?unread=1")["notifications"]] == [n["id"] for n in mine[1:]]

    # Someone else's id marks nothing of theirs.
    assert api.ok("POST", "/notifications/read", f, {"ids": [theirs[0]["id"]]}) == {"marked": 0, "unread": 4}
    assert notes(api, c)["unread"] == 1

    assert api.ok("POST", "/notifications/read", f, {"all": True}) == {"marked": 4, "unread": 0}
    assert notes(api, f, "?unread=1")["notifications"] == []
    assert notes(api, c)["unread"] == 1


def test_reading_the_room_reads_its_notifications_up_to_the_cursor(app, api, people, job):
    from workspace.extensions import db
    from workspace.models import User
    from workspace.services import members

    f, c = people["freelancer"], people["client"]
    other = api.create_job(f, "Another job")
    api.join(c, api.invite(f, other["id"], "client")["token"])
    first = post(api, f, job, "one")["seq"]
    second = post(api, f, job, "two")["seq"]
    post(api, f, other, "elsewhere")
    assert notes(api, c)["unread"] == 4  # the viewer joining, two messages, one elsewhere

    # Over HTTP, as a script reads the room.
    assert api.ok("POST", f"/jobs/{job['id']}/read", c, {"seq": first})["last_read_seq"] == first
    by_seq = {(n["job"], n["seq"]): n["read"] for n in everything(api, c)}
    assert by_seq[(job["id"], first)] is True and by_seq[(job["id"], second)] is False
    assert by_seq[(other["id"], 3)] is False  # the other job's message

    # The socket `read` action calls the same service: all of this job, nothing of the other.
    with app.app_context():
        members.mark_read(db.session.get(User, c["id"]), job["id"], second)
        db.session.remove()
    left = notes(api, c, "?unread=1")
    assert left["unread"] == 1 and [n["job"] for n in left["notifications"]] == [other["id"]]


def test_pushes_reach_each_persons_own_sockets_live(app, api, people, job):
    from workspace.extensions import socketio

    f, c = people["freelancer"], people["client"]
    sockets = {who: socketio.test_client(app, auth={"token": people[who]["token"]}) for who in ROLES}
    try:
        for s in sockets.values():
            assert s.is_connected()
            s.get_received()
        event = post(api, f, job, "Are you there?")

        def pushed(who, name):
            return [m["args"][0] for m in sockets[who].get_received() if m["name"] == name]

        client_got = pushed("client", "notification")
        assert len(client_got) == 1
        assert client_got[0]["unread"] == 2 and client_got[0]["notification"]["seq"] == event["seq"]
        assert client_got[0]["notification"]["url"].endswith(f"#event-{event['seq']}")
        assert len(pushed("viewer", "notification")) == 1
        assert pushed("freelancer", "notification") == []  # the actor is never told

        api.ok("POST", "/notifications/read", c, {"all": True})
        assert pushed("client", "notifications_read") == [{"unread": 0}]
        assert pushed("viewer", "notifications_read") == []

        # Each recipient's push carries their own count, as the list says (one has read all, one has not).
        post(api, f, job, "Still there?")
        for who, expected in (("client", 1), ("viewer", notes(api, people["viewer"])["unread"])):
            assert [p["unread"] for p in pushed(who, "notification")] == [expected]
        assert notes(api, people["viewer"])["unread"] >= 2
    finally:
        for s in sockets.values():
            s.disconnect()


def test_a_room_in_view_gets_the_event_and_no_notification_of_it(app, api, people, job):
    """A socket with the room in view is not pushed a notification of the room's own events (the event
    tells it); the same person's other pages are, and so is a room in a background tab. The control:
    the same room page, hidden, is told."""
    from workspace.extensions import socketio

    f, c = people["freelancer"], people["client"]
    in_view, background, elsewhere = (socketio.test_client(app, auth={"token": c["token"]}) for _ in range(3))
    try:
        assert in_view.emit("join", {"job": job["id"]}, callback=True)["ok"]
        assert background.emit("join", {"job": job["id"], "hidden": True}, callback=True)["ok"]
        for s in (in_view, background, elsewhere):
            s.get_received()

        def got(s, name):
            return [m["args"][0] for m in s.get_received() if m["name"] == name]

        def names(s):
            return [m["name"] for m in s.get_received()]

        event = post(api, f, job, "Seen here?")
        seen = [m for m in in_view.get_received()]
        assert [m["args"][0]["seq"] for m in seen if m["name"] == "event"] == [event["seq"]]
        assert [m for m in seen if m["name"] == "notification"] == []
        assert [n["notification"]["seq"] for n in got(background, "notification")] == [event["seq"]]
        assert [n["notification"]["seq"] for n in got(elsewhere, "notification")] == [event["seq"]]

        # The page goes to the background, and the one behind it comes into view: they swap.
        assert in_view.emit("visibility", {"job": job["id"], "hidden": True}, callback=True) == {
            "ok": True, "hidden": True}
        assert background.emit("visibility", {"job": job["id"], "hidden": False}, callback=True)["ok"]
        second = post(api, f, job, "And now?")
        assert [n["notification"]["seq"] for n in got(in_view, "notification")] == [second["seq"]]
        assert "notification" not in names(background)

        # Leaving the room: its notifications come again, wherever the page is.
        assert background.emit("leave", {"job": job["id"]}, callback=True)["ok"]
        third = post(api, f, job, "Gone?")
        assert [n["notification"]["seq"] for n in got(background, "notification")] == [third["seq"]]

        # Only a socket in the room can say where its page is; bad input is refused.
        refused = elsewhere.emit("visibility", {"job": job["id"], "hidden": False}, callback=True)
        assert refused["ok"] is False and refused["error"]["code"] == "not_in_room"
        bad = in_view.emit("visibility", {"job": job["id"], "hidden": "yes"}, callback=True)
        assert bad["ok"] is False and bad["error"]["code"] == "invalid"
        stranger = socketio.test_client(app, auth={"token": people["outsider"]["token"]})
        try:
            denied = stranger.emit("visibility", {"job": job["id"], "hidden": False}, callback=True)
            assert denied["ok"] is False and denied["error"]["code"] in ("forbidden", "not_found")
        finally:
            stranger.disconnect()
    finally:
        for s in (in_view, background, elsewhere):
            s.disconnect()


def test_a_person_whose_every_socket_shows_the_room_is_pushed_nothing(app, api, people, job):
    """Every socket of the person has the room in view (the short cut that skips the push whole); a
    page that goes to the background is told again."""
    from workspace.extensions import socketio

    f, c = people["freelancer"], people["client"]
    pages = [socketio.test_client(app, auth={"token": c["token"]}) for _ in range(2)]
    try:
        for s in pages:
            assert s.emit("join", {"job": job["id"]}, callback=True)["ok"]
            s.get_received()
        event = post(api, f, job, "Both pages see it")
        for s in pages:
            received = s.get_received()
            assert [m["args"][0]["seq"] for m in received if m["name"] == "event"] == [event["seq"]]
            assert [m for m in received if m["name"] == "notification"] == []
        assert pages[1].emit("visibility", {"job": job["id"], "hidden": True}, callback=True)["ok"]
        second = post(api, f, job, "One page is behind another tab")
        told = [m["args"][0]["notification"]["seq"] for m in pages[1].get_received() if m["name"] == "notification"]
        assert told == [second["seq"]]
        assert "notification" not in [m["name"] for m in pages[0].get_received()]
    finally:
        for s in pages:
            s.disconnect()


# ---------------------------------------------------------------- settings

def test_settings_get_and_put_and_protected_kinds_refuse_off(api, people):
    c = people["client"]
    view = api.ok("GET", "/me/notification-settings", c)
    assert set(view["settings"].values()) == {"immediate"}
    protected = {k["kind"] for k in view["kinds"] if k["protected"]}
    assert protected == {"terms", "money", "review_window"}
    assert all("off" not in k["modes"] for k in view["kinds"] if k["protected"])

    saved = api.ok("PUT", "/me/notification-settings", c, {"settings": {"messages": "digest", "people": "off",
                                                                        "money": "digest"}})
    assert (saved["settings"]["messages"], saved["settings"]["people"], saved["settings"]["money"]) == (
        "digest", "off", "digest")
    assert api.ok("GET", "/me/notification-settings", c)["settings"] == saved["settings"]

    for kind in sorted(protected):
        refused = api.call("PUT", "/me/notification-settings", c, {"settings": {kind: "off", "messages": "off"}})
        assert refused.status_code == 422
        error = refused.get_json()["error"]
        # Field names are paths in the body (as for every schema-checked request).
        assert "cannot be turned off" in error["fields"][f"settings.{kind}"]
        assert "settings.messages" not in error["fields"]
    assert api.ok("GET", "/me/notification-settings", c)["settings"] == saved["settings"]  # nothing half-saved
    assert api.ok("GET", "/me/notification-settings", people["freelancer"])["settings"]["messages"] == "immediate"


BAD_SETTINGS = [{}, {"settings": {}}, {"settings": []}, {"settings": "off"}, {"settings": {"nope": "off"}},
                {"settings": {"messages": 5}}, {"settings": {"messages": "loud"}}, {"settings": {"messages": None}},
                [1, 2], "text"]


@pytest.mark.parametrize("body", BAD_SETTINGS)
def test_bad_settings_are_422_with_a_message(api, people, body):
    response = api.call("PUT", "/me/notification-settings", people["client"], body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["message"]


# ---------------------------------------------------------------- bad input is 4xx, never 500

@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?limit=abc", "?limit=1.5", "?before=0", "?before=-3",
                                   "?before=abc", "?before=99999999999999999999", "?before=" + "9" * 5000,
                                   "?limit=" + "9" * 5000, "?unread=maybe"])
def test_bad_list_queries_are_422(api, people, query):
    response = api.call("GET", f"/notifications{query}", people["client"])
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": "1"}, {"ids": [True]}, {"ids": [1.5]}, {"ids": ["1"]},
                                  {"ids": [2**40]}, {"ids": [0]}, {"ids": [-1]}, {"ids": None},
                                  {"ids": list(range(1, 502))}, {"all": "yes"}, {"all": 1}, {"all": False},
                                  [1], "all", 7])
def test_bad_read_requests_are_422(api, people, body):
    response = api.call("POST", "/notifications/read", people["client"], body)
    assert response.status_code == 422, (body, response.get_json())
    assert response.get_json()["error"]["message"]


def test_malformed_json_and_anonymous_callers(api, people):
    auth = {"Authorization": f"Bearer {people['client']['token']}"}
    for method, path in (("POST", "/api/v1/notifications/read"), ("PUT", "/api/v1/me/notification-settings")):
        bad = api.client.open(path, method=method, data=b"{", content_type="application/json", headers=auth)
        assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_json"
    for method, path in (("GET", "/notifications"), ("POST", "/notifications/read"),
                         ("GET", "/me/notification-settings"), ("PUT", "/me/notification-settings")):
        response = api.call(method, path, None, {"all": True})
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


# ---------------------------------------------------------------- pages

def csrf_in(page_html):
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def log_in(client, who):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": who["email"],
                                           "password": "correct horse battery"})
    assert response.status_code == 302


def test_the_bell_count_list_page_and_marking_from_pages(app, api, people, job):
    f, c = people["freelancer"], people["client"]
    for n in range(22):
        post(api, f, job, f"update {n}")
    browser = app.test_client()
    log_in(browser, c)
    home = browser.get("/jobs").get_data(as_text=True)
    assert 'data-unread="23"' in home and 'id="bell-count"' in home and "Notifications, 23 unread" in home
    assert "js/notifications.js" in home

    first = browser.get("/notifications")
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and html.count('class="notification-item unread"') == 20
    older = re.search(r'href="(/notifications\?before=\d+)"[^>]*>Older', html).group(1)
    rest = browser.get(older).get_data(as_text=True)
    assert rest.count('class="notification-item') == 3 and ">Older<" not in rest
    assert f'href="/jobs/{job["id"]}/?event=' in rest

    newest = everything(api, c)[0]
    marked = browser.post("/notifications/read", data={"csrf_token": csrf_in(html), "id": str(newest["id"]),
                                                      "next": "/notifications"})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("/notifications")
    assert notes(api, c)["unread"] == 22
    assert browser.post("/notifications/read", data={"csrf_token": csrf_in(html), "id": "nope"}).status_code == 422
    assert browser.post("/notifications/read", data={"id": str(newest["id"])}).status_code == 400  # no CSRF token
    browser.post("/notifications/read", data={"csrf_token": csrf_in(html), "all": "1",
                                              "next": "https://evil.example/"})
    assert notes(api, c)["unread"] == 0
    assert 'id="bell-count" aria-hidden="true" hidden' in browser.get("/notifications").get_data(as_text=True)
    assert browser.get("/notifications?before=abc").status_code == 422
    assert app.test_client().get("/notifications").status_code == 302  # log in first


def test_settings_page_saves_modes_and_keeps_protected_kinds_on(app, api, people):
    c = people["client"]
    browser = app.test_client()
    log_in(browser, c)
    page = browser.get("/settings/notifications").get_data(as_text=True)
    assert 'name="money" value="off"' not in page and 'name="messages" value="off"' in page
    assert "Turn on browser notifications" in page and "Cannot be turned off" in page
    saved = browser.post("/settings/notifications", data={"csrf_token": csrf_in(page), "messages": "digest",
                                                          "money": "digest"})
    assert saved.status_code == 302
    settings = api.ok("GET", "/me/notification-settings", c)["settings"]
    assert settings["messages"] == "digest" and settings["money"] == "digest"
    refused = browser.post("/settings/notifications", data={"csrf_token": csrf_in(page), "money": "off"})
    assert refused.status_code == 422 and "cannot be turned off" in refused.get_data(as_text=True)
    assert api.ok("GET", "/me/notification-settings", c)["settings"]["money"] == "digest"


def sign(app, purpose, payload, age_seconds=0):
    """A real signed link; `age_seconds` dates it in the past (to test expiry)."""
    class Dated(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=f"workspace.{purpose}", signer=Dated).dumps(payload)


def test_preferences_by_signed_link_without_logging_in(app, api, people):
    c = people["client"]
    anonymous = app.test_client()
    url = f"/notifications/preferences/{sign(app, 'prefs', c['id'])}"
    page = anonymous.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and c["email"] in html and 'id="bell"' not in html
    saved = anonymous.post(url, data={"csrf_token": csrf_in(html), "progress": "off", "terms": "digest"})
    assert saved.status_code == 200 and "Saved" in saved.get_data(as_text=True)
    settings = api.ok("GET", "/me/notification-settings", c)["settings"]
    assert settings["progress"] == "off" and settings["terms"] == "digest"
    refused = anonymous.post(url, data={"csrf_token": csrf_in(html), "terms": "off"})
    assert refused.status_code == 422
    assert anonymous.post(url, data={"progress": "immediate"}).status_code == 400  # the form needs its CSRF token
    assert api.ok("GET", "/me/notification-settings", c)["settings"]["progress"] == "off"


@pytest.mark.parametrize("make", [
    lambda app, uid: "not-a-token",
    lambda app, uid: sign(app, "unsubscribe", [uid, None]),  # another purpose's token
    lambda app, uid: sign(app, "prefs", uid, age_seconds=366 * 24 * 3600),  # expired
    lambda app, uid: sign(app, "prefs", uid)[:-2] + "xx",  # tampered
    lambda app, uid: sign(app, "prefs", "someone"),
    lambda app, uid: "x" * 600,
])
def test_bad_preference_links_are_a_clear_404(app, people, make):
    response = app.test_client().get(f"/notifications/preferences/{make(app, people['client']['id'])}")
    assert response.status_code == 404 and "This link does not work" in response.get_data(as_text=True)


def test_a_link_for_an_account_that_is_gone_is_404(app, people):
    response = app.test_client().get(f"/notifications/preferences/{sign(app, 'prefs', 10**6)}")
    assert response.status_code == 404
    response = app.test_client(use_cookies=False).post(f"/unsubscribe/{sign(app, 'unsubscribe', [10**6, None])}",
                                                       data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf_token(app, api, people):
    c = people["client"]
    mail_provider = app.test_client(use_cookies=False)
    url = f"/unsubscribe/{sign(app, 'unsubscribe', [c['id'], None])}"
    page = mail_provider.get(url)
    assert page.status_code == 200 and "Unsubscribe</button>" in page.get_data(as_text=True)
    assert api.ok("GET", "/me/notification-settings", c)["settings"]["messages"] == "immediate"  # GET changes nothing

    done = mail_provider.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    settings = api.ok("GET", "/me/notification-settings", c)["settings"]
    assert {k: v for k, v in settings.items() if k not in ("terms", "money", "review_window")} == {
        k: "off" for k in settings if k not in ("terms", "money", "review_window")}
    assert settings["terms"] == settings["money"] == settings["review_window"] == "digest"

    # Multipart, as RFC 8058 allows, and a link for one kind only.
    f = people["freelancer"]
    one = mail_provider.post(f"/unsubscribe/{sign(app, 'unsubscribe', [f['id'], 'messages'])}",
                             data={"List-Unsubscribe": "One-Click"}, content_type="multipart/form-data")
    assert one.status_code == 200 and "messages" in one.get_data(as_text=True)
    settings = api.ok("GET", "/me/notification-settings", f)["settings"]
    assert settings["messages"] == "off" and settings["people"] == "immediate"


def test_unsubscribe_refuses_a_post_that_does_not_say_one_click_and_bad_links(app, api, people):
    c = people["client"]
    client = app.test_client(use_cookies=False)
    url = f"/unsubscribe/{sign(app, 'unsubscribe', [c['id'], None])}"
    assert client.post(url).status_code == 400
    assert client.post(url, data={"List-Unsubscribe": "yes"}).status_code == 400
    assert api.ok("GET", "/me/notification-settings", c)["settings"]["messages"] == "immediate"
    for token in ("nope", sign(app, "prefs", c["id"]), sign(app, "unsubscribe", c["id"]),
                  sign(app, "unsubscribe", [c["id"], None], age_seconds=400 * 24 * 3600),
                  sign(app, "unsubscribe", [True, None]), sign(app, "unsubscribe", [c["id"], 5])):
        for method in ("GET", "POST"):
            response = client.open(f"/unsubscribe/{token}", method=method, data={"List-Unsubscribe": "One-Click"})
            assert response.status_code == 404, (token, method)
