"""Accounts people can recover (issue 8): email verification, password reset, account changes,
sign-up that does not say who is registered, and login limits an attacker cannot turn on the owner.
Mail goes to a real SMTP server (aiosmtpd); SQLite and PostgreSQL both."""
from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select, update

from tests.conftest import REDIS_URL, make_test_app
from tests.mailbox import html_of, links_in, text_of
from tests.support import ApiActions, require_service

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app(database_url, tmp_path, mailbox):
    app = make_test_app(database_url, tmp_path, SMTP_URL=mailbox.url, PUBLIC_URL="http://localhost")
    yield app
    from workspace.extensions import db

    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    return ApiActions(client)


def deliver(app) -> int:
    """What the server's background sender does after a commit."""
    from workspace.extensions import db
    from workspace.mail.outbox import send_due

    with app.app_context():
        sent = send_due()
        db.session.remove()
    return sent


SUBJECTS = {
    "verify": "Confirm your email address",
    "verify_change": "Confirm your new email address",
    "reset": "Reset your Workspace password",
    "password_changed": "Your Workspace password was changed",
    "email_changed": "The email address of your Workspace account was changed",
    "signup_exists": "Someone tried to sign up with your email address",
}


def mails(mailbox, address, purpose):
    """Messages to `address` of one kind (told apart by subject)."""
    return [m for m in mailbox.to(address) if m["Subject"] == SUBJECTS[purpose]]


def one_mail(app, mailbox, address, purpose):
    deliver(app)
    found = mails(mailbox, address, purpose)
    assert len(found) == 1, [(m["To"], m["Subject"]) for m in mailbox.messages]
    return found[0]


def link_path(message, part):
    """The path of the first link in the text part that contains `part` (links are absolute)."""
    for link in links_in(message):
        if part in link:
            assert link.startswith("http://localhost/"), link  # PUBLIC_URL, never the request's Host
            return urlsplit(link).path
    raise AssertionError(f"no {part} link in {text_of(message)!r}")


def csrf_from(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def signup_page(client, email, password=PASSWORD, name="Ann"):
    return client.post("/signup", data={"csrf_token": csrf_from(client, "/signup"), "email": email,
                                        "password": password, "name": name})


def login_page(client, email, password, **kwargs):
    return client.post("/login", data={"csrf_token": csrf_from(client, "/login"), "email": email,
                                       "password": password}, **kwargs)


def signup_api(api, email, password=PASSWORD, name="Ann"):
    body = api.ok("POST", "/signup", json={"email": email, "password": password, "name": name}, status=201)
    return {**body["user"], "token": body["token"], "message": body["message"]}


def user_row(app, email):
    from workspace.extensions import db
    from workspace.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.remove()
    return user


def ask_reset(app, mailbox, api, email):
    assert api.call("POST", "/password-reset", json={"email": email}).status_code == 202
    return link_path(one_mail(app, mailbox, email, "reset"), "/reset/")


# ---------------------------------------------------------------- verification

def test_api_signup_emails_a_link_that_verifies(app, api, client, mailbox):
    me = signup_api(api, "vera@example.test")
    assert "vera@example.test" in me["message"]
    message = one_mail(app, mailbox, "vera@example.test", "verify")
    assert message["Subject"] == "Confirm your email address"
    assert "List-Unsubscribe" not in message  # transactional: nothing to unsubscribe from
    path = link_path(message, "/verify/")
    assert path in html_of(message)
    assert user_row(app, "vera@example.test").email_verified_at is None
    page = client.get(path)
    assert page.status_code == 200 and "Address confirmed" in page.get_data(as_text=True)
    assert user_row(app, "vera@example.test").email_verified_at is not None
    assert client.get(path).status_code == 200  # opening it again (a mail scanner, a second click) is fine
    response = api.call("POST", "/me/verify-email", me)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "already_verified"
    assert client.get("/verify/forged-token").status_code == 400


def test_page_signup_shows_the_banner_until_verified(app, client, mailbox):
    response = signup_page(client, "page@example.test")
    assert response.status_code == 302
    page = client.get("/jobs").get_data(as_text=True)
    assert "verify-banner" in page and "Resend the link" in page
    resent = client.post("/verify/resend", data={"csrf_token": csrf_from(client, "/jobs"), "next": "/jobs"})
    assert resent.status_code == 302 and resent.headers["Location"].endswith("/jobs")
    assert "We sent a new link" in client.get("/jobs").get_data(as_text=True)
    deliver(app)
    links = [link_path(m, "/verify/") for m in mails(mailbox, "page@example.test", "verify")]
    assert len(links) == 2
    assert client.get(links[0]).status_code == 200
    page = client.get("/jobs").get_data(as_text=True)
    assert "verify-banner" not in page
    assert "Confirmed" in client.get("/account").get_data(as_text=True)


def test_resend_is_rate_limited_and_needs_a_login(api):
    me = signup_api(api, "resend@example.test")
    assert api.call("POST", "/me/verify-email").status_code == 401
    statuses = [api.call("POST", "/me/verify-email", me).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]


def test_held_mail_goes_out_on_verify_to_the_confirmed_address(app, api, client, mailbox):
    from workspace.db import transaction
    from workspace.extensions import db
    from workspace.mail.outbox import enqueue

    me = signup_api(api, "held@example.test")
    with app.app_context():
        with transaction() as tx:
            # Any template will do; the purpose decides whether it waits for a confirmed address.
            enqueue(tx, to="held@example.test", template="reset", purpose="notification",
                    user_id=me["id"], verified=False,
                    context={"name": "Ann", "email": "held@example.test", "url": "u", "minutes": 1})
        db.session.remove()
    deliver(app)
    assert [m["Subject"] for m in mailbox.to("held@example.test")] == [SUBJECTS["verify"]]
    # The address changes before it is confirmed: what waited goes to the address confirmed.
    api.ok("PATCH", "/me", me, {"email": "held2@example.test", "current_password": PASSWORD})
    path = link_path(one_mail(app, mailbox, "held2@example.test", "verify_change"), "/verify/")
    assert client.get(path).status_code == 200
    deliver(app)
    assert len(mails(mailbox, "held2@example.test", "reset")) == 1
    assert mails(mailbox, "held@example.test", "reset") == []


def test_a_changed_address_voids_the_old_link(app, api, client, mailbox):
    me = signup_api(api, "first@example.test")
    old_link = link_path(one_mail(app, mailbox, "first@example.test", "verify"), "/verify/")
    api.ok("PATCH", "/me", me, {"email": "second@example.test", "current_password": PASSWORD})
    page = client.get(old_link)
    assert page.status_code == 400 and "no longer on the account" in page.get_data(as_text=True)
    assert user_row(app, "second@example.test").email_verified_at is None


def test_an_account_can_test_only_a_few_new_addresses_an_hour(app, api, client, mailbox):
    """Saying an address is taken tells that an account uses it (sign-up hides that): one account may
    try EMAIL_CHANGE_LIMIT_PER_ACCOUNT new addresses an hour, then gets a 429 whatever the address."""
    signup_api(api, "owner@example.test")
    me = signup_api(api, "prober@example.test")
    limit, _window = app.config["EMAIL_CHANGE_LIMIT_PER_ACCOUNT"]
    for n in range(limit):
        address = "owner@example.test" if n % 2 == 0 else f"free{n}@example.test"
        response = api.call("PATCH", "/me", me, {"email": address, "current_password": PASSWORD})
        assert response.status_code == (409 if address == "owner@example.test" else 200), response.get_json()
    blocked = api.call("PATCH", "/me", me, {"email": "owner@example.test", "current_password": PASSWORD})
    assert blocked.status_code == 429 and blocked.headers.get("Retry-After")
    assert api.call("PATCH", "/me", me, {"name": "Still Fine"}).status_code == 200  # a name change is not counted


# ---------------------------------------------------------------- password reset

def test_reset_answers_the_same_for_unknown_addresses(app, api, mailbox):
    signup_api(api, "known@example.test")
    known = api.call("POST", "/password-reset", json={"email": "Known@Example.test"})
    unknown = api.call("POST", "/password-reset", json={"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()
    deliver(app)
    assert len(mails(mailbox, "known@example.test", "reset")) == 1
    assert mailbox.to("nobody@example.test") == []


def test_reset_journey_revokes_everything_and_tells_the_owner(app, api, client, mailbox):
    me = signup_api(api, "owner@example.test")
    second = api.ok("POST", "/tokens", json={"email": "owner@example.test", "password": PASSWORD}, status=201)
    browser = app.test_client()
    assert login_page(browser, "owner@example.test", PASSWORD).status_code == 302
    path = ask_reset(app, mailbox, api, "owner@example.test")
    token = path.rsplit("/", 1)[1]
    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert api.call("GET", "/me", me).status_code == 200  # opening the link changes nothing

    done = api.call("POST", f"/password-reset/{token}", json={"password": NEW_PASSWORD})
    assert done.status_code == 200, done.get_json()
    assert api.call("GET", "/me", me).status_code == 401
    assert api.call("GET", "/me", {"token": second["token"]}).status_code == 401
    assert browser.get("/jobs").status_code == 302  # the browser's login session is revoked
    said = browser.get("/login").get_data(as_text=True)  # and the login page says why, once
    assert "You were signed out: your password was changed" in said
    assert browser.get("/jobs").status_code == 302
    assert "You were signed out" not in browser.get("/login").get_data(as_text=True)
    again = api.call("POST", f"/password-reset/{token}", json={"password": "yet another passphrase"})
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "reset_link_invalid"
    assert client.get(path).status_code == 404

    notice = one_mail(app, mailbox, "owner@example.test", "password_changed")
    assert notice["Subject"] == "Your Workspace password was changed"
    assert "/forgot" in text_of(notice)
    assert api.call("POST", "/tokens", json={"email": "owner@example.test", "password": PASSWORD}).status_code == 401
    assert api.call("POST", "/tokens", json={"email": "owner@example.test",
                                             "password": NEW_PASSWORD}).status_code == 201
    assert user_row(app, "owner@example.test").email_verified_at is not None  # the link proved the mailbox


def test_a_link_used_twice_at_once_works_once(app, api, mailbox):
    """Single use holds under a race: one UPDATE ... WHERE used_at IS NULL wins (SQLite and PostgreSQL)."""
    signup_api(api, "race@example.test")
    token = ask_reset(app, mailbox, api, "race@example.test").rsplit("/", 1)[1]
    start = threading.Barrier(8)

    def use(n):
        client = app.test_client()
        start.wait()
        return client.post(f"/api/v1/password-reset/{token}", json={"password": f"{NEW_PASSWORD} {n}"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(use, range(8)))
    assert statuses == [200] + [404] * 7, statuses
    deliver(app)
    assert len(mails(mailbox, "race@example.test", "password_changed")) == 1


def test_reset_by_page_does_not_log_in(app, api, client, mailbox):
    signup_api(api, "pagereset@example.test")
    forgot = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot"' in forgot and "Forgot your password?" in forgot
    answer = client.post("/forgot", data={"csrf_token": csrf_from(client, "/forgot"),
                                          "email": "pagereset@example.test"})
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    path = link_path(one_mail(app, mailbox, "pagereset@example.test", "reset"), "/reset/")
    short = client.post(path, data={"csrf_token": csrf_from(client, path), "password": "short"})
    assert short.status_code == 422 and "at least 10" in short.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": csrf_from(client, path), "password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert client.get("/jobs").status_code == 302  # no login after a reset
    assert "Log in with your new password" in client.get("/login").get_data(as_text=True)
    assert login_page(client, "pagereset@example.test", NEW_PASSWORD).status_code == 302


def test_an_expired_link_does_not_work(app, api, client, mailbox):
    from workspace.db import transaction, utcnow
    from workspace.extensions import db
    from workspace.models import PasswordResetToken

    signup_api(api, "late@example.test")
    path = ask_reset(app, mailbox, api, "late@example.test")
    with app.app_context():
        with transaction() as tx:
            tx.session.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.remove()
    page = client.get(path)
    assert page.status_code == 404 and "no longer works" in page.get_data(as_text=True)
    response = api.call("POST", "/password-reset/" + path.rsplit("/", 1)[1], json={"password": NEW_PASSWORD})
    assert response.status_code == 404
    assert api.call("POST", "/tokens", json={"email": "late@example.test", "password": PASSWORD}).status_code == 201


def test_links_are_valid_for_the_configured_time(app, api, mailbox):
    from workspace.extensions import db
    from workspace.models import PasswordResetToken

    signup_api(api, "ttl@example.test")
    ask_reset(app, mailbox, api, "ttl@example.test")
    with app.app_context():
        row = db.session.scalar(select(PasswordResetToken))
        lifetime = (row.expires_at - row.created_at).total_seconds()
        db.session.remove()
    assert abs(lifetime - app.config["PASSWORD_RESET_TTL"]) < 5
    assert len(row.token_hash) == 64  # only the digest is stored


# ---------------------------------------------------------------- login limits

def test_concurrent_guesses_check_at_most_the_limit_and_reset_unlocks(app, api, mailbox):
    signup_api(api, "target@example.test")
    limit = app.config["LOGIN_LIMIT_PER_ACCOUNT"][0]
    start = threading.Barrier(25)

    def guess(n):
        client = app.test_client()
        start.wait()
        return client.post("/api/v1/tokens", json={"email": "target@example.test", "password": f"wrong guess {n}"})

    with ThreadPoolExecutor(25) as pool:
        statuses = sorted(r.status_code for r in pool.map(guess, range(25)))
    assert statuses.count(401) == limit and statuses.count(429) == 25 - limit, statuses
    # The right password is refused by the limit as well (not checked, so no oracle) ...
    locked = api.call("POST", "/tokens", json={"email": "target@example.test", "password": PASSWORD})
    assert locked.status_code == 429
    # ... but only for that address: the owner elsewhere still gets in.
    elsewhere = app.test_client().post("/api/v1/tokens", json={"email": "target@example.test", "password": PASSWORD},
                                       environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert elsewhere.status_code == 201
    # And the reset email clears the lock wherever it was.
    token = ask_reset(app, mailbox, api, "target@example.test").rsplit("/", 1)[1]
    api.ok("POST", f"/password-reset/{token}", json={"password": NEW_PASSWORD})
    assert api.call("POST", "/tokens", json={"email": "target@example.test",
                                             "password": NEW_PASSWORD}).status_code == 201


def test_the_login_page_offers_a_reset_when_locked(app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = (2, 900)
    for _ in range(2):
        assert login_page(client, "lock@example.test", "wrong password!").status_code == 401
    locked = login_page(client, "lock@example.test", "wrong password!")
    assert locked.status_code == 429 and 'href="/forgot"' in locked.get_data(as_text=True)


def test_successful_logins_give_their_slot_back(app, api):
    signup_api(api, "often@example.test")
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = (3, 900)
    for _ in range(6):
        api.ok("POST", "/tokens", json={"email": "often@example.test", "password": PASSWORD}, status=201)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_limiter_clear_prefix(backend):
    from workspace.ratelimit import RateLimiter

    app = SimpleNamespace(config={"REDIS_URL": REDIS_URL if backend == "redis" else None,
                                  "REDIS_NAMESPACE": f"t{uuid.uuid4().hex}"})
    limiter = RateLimiter()
    if backend == "redis":
        try:
            import redis

            redis.Redis.from_url(REDIS_URL).ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            require_service(False, f"Redis at {REDIS_URL} ({exc.__class__.__name__})")
    limiter.init_app(app)
    for key in ("login:acct:abc:addr:1", "login:acct:abc:addr:2", "login:acct:abd:addr:1", "login:acct:a*c:x"):
        limiter.hit(key, 900)
        limiter.hit(key, 900)
    limiter.release("login:acct:abd:addr:1", 900)
    assert limiter.clear_prefix("login:acct:abc:") == 2
    assert limiter.count("login:acct:abc:addr:1", 900) == 0 and limiter.count("login:acct:abd:addr:1", 900) == 1
    assert limiter.clear_prefix("login:acct:a*") == 1  # glob characters are matched literally
    assert limiter.count("login:acct:abd:addr:1", 900) == 1
    limiter.release("never:hit", 900)
    assert limiter.count("never:hit", 900) == 0  # a slot is never given back below zero
    limiter.clear_prefix("")


# ---------------------------------------------------------------- sign-up with a taken address

def test_signup_with_a_taken_address_leaks_nothing_and_tells_the_owner(app, api, client, mailbox):
    first = signup_api(api, "taken@example.test")
    again = api.call("POST", "/signup", json={"email": "TAKEN@example.test", "password": "another passphrase",
                                             "name": "Mallory"})
    assert again.status_code == 202 and again.get_json() == {"message": first["message"]}
    page = signup_page(client, "taken@example.test", password="another passphrase", name="Mallory")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Check your inbox" in text and first["message"] in text
    assert "already" not in text.lower()
    deliver(app)
    notices = mails(mailbox, "taken@example.test", "signup_exists")
    assert len(notices) == 2 and notices[0]["Subject"] == "Someone tried to sign up with your email address"
    assert {"/login", "/forgot"} <= {urlsplit(link).path for link in links_in(notices[0])}
    assert api.ok("GET", "/me", first)["user"]["name"] == "Ann"  # nothing changed
    assert api.call("POST", "/tokens", json={"email": "taken@example.test", "password": PASSWORD}).status_code == 201


def test_the_invitation_page_answers_a_taken_address_with_a_way_back_to_it(app, api, client, mailbox,
                                                                            people_and_job):
    """Signing up from an invitation with an address that has an account: the page says to log in to
    join (a button that comes back here), and the owner's email links to the log-in and back here."""
    invite = people_and_job
    response = client.post(f"/invite/{invite}/signup", data={
        "csrf_token": csrf_from(client, f"/invite/{invite}"), "email": "boss@example.test",
        "password": "another passphrase", "name": "Someone"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "We sent a message to boss@example.test" in text
    assert "already been used" not in text and "confirm your address" not in text
    back = f"/login?next=/invite/{invite}"
    assert f'<a class="button primary" href="{back}">Log in to join</a>' in text
    deliver(app)
    notice = mails(mailbox, "boss@example.test", "signup_exists")[0]
    assert any(unquote(link).endswith(back) for link in links_in(notice)), links_in(notice)


def test_a_member_opening_their_invitation_again_lands_in_the_job(app, api, client):
    """The client who joined opens their (now used) link while signed in: the job, not 'already used';
    someone else sees only that the link was used."""
    boss = signup_api(api, "owner@example.test")
    signup_page(client, "guest@example.test")
    job = api.create_job(boss)
    token = api.invite(boss, job["id"], "client")["token"]
    joined = client.post(f"/invite/{token}/accept", data={"csrf_token": csrf_from(client, f"/invite/{token}")})
    assert joined.status_code == 302
    again = client.get(f"/invite/{token}")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/jobs/{job['id']}/")
    stranger = app.test_client()
    page = stranger.get(f"/invite/{token}").get_data(as_text=True)
    assert "This invitation has already been used." in page and "invites you to join" not in page


@pytest.fixture
def people_and_job(api):
    boss = signup_api(api, "boss@example.test")
    job = api.create_job(boss)
    return api.invite(boss, job["id"], "client")["token"]


# ---------------------------------------------------------------- changing one's own account

def test_account_changes_by_api(app, api, client, mailbox):
    me = signup_api(api, "change@example.test")
    other = api.ok("POST", "/tokens", json={"email": "change@example.test", "password": PASSWORD}, status=201)
    body = api.ok("PATCH", "/me", me, {"name": "  Ann B.  "})
    assert body["user"]["name"] == "Ann B." and body["email_verified"] is False

    moved = api.ok("PATCH", "/me", me, {"email": "moved@example.test", "current_password": PASSWORD})
    assert moved["user"]["email"] == "moved@example.test" and moved["email_verified"] is False
    confirm = one_mail(app, mailbox, "moved@example.test", "verify_change")
    assert confirm["Subject"] == "Confirm your new email address"
    notice = one_mail(app, mailbox, "change@example.test", "email_changed")
    assert "moved@example.test" in text_of(notice)
    assert client.get(link_path(confirm, "/verify/")).status_code == 200
    assert api.ok("PATCH", "/me", me, {"name": "Ann"})["email_verified"] is True

    changed = api.ok("PATCH", "/me", me, {"password": NEW_PASSWORD, "current_password": PASSWORD})
    assert changed["user"]["id"] == me["id"]
    assert api.call("GET", "/me", me).status_code == 200  # the token this came with stays
    assert api.call("GET", "/me", {"token": other["token"]}).status_code == 401  # every other one ends
    assert len(mails(mailbox, "moved@example.test", "password_changed")) == 0
    assert one_mail(app, mailbox, "moved@example.test", "password_changed")
    assert api.call("POST", "/tokens", json={"email": "moved@example.test", "password": NEW_PASSWORD}).status_code == 201


def test_account_changes_by_page_keep_this_session_only(app, client, mailbox):
    signup_page(client, "pager@example.test")
    elsewhere = app.test_client()
    assert login_page(elsewhere, "pager@example.test", PASSWORD).status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert 'href="/settings/notifications"' in page and "Not confirmed" in page

    def post(**data):
        return client.post("/account", data={"csrf_token": csrf_from(client, "/account"), **data})

    assert post(action="profile", name="Pat").status_code == 302
    assert "Pat" in client.get("/account").get_data(as_text=True)
    wrong = post(action="password", current_password="not my password", password=NEW_PASSWORD)
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    assert elsewhere.get("/jobs").status_code == 200
    done = post(action="password", current_password=PASSWORD, password=NEW_PASSWORD)
    assert done.status_code == 302
    assert client.get("/jobs").status_code == 200  # this browser stays in
    assert elsewhere.get("/jobs").status_code == 302  # the other one is out
    taken = app.test_client()
    signup_page(taken, "other@example.test")
    clash = post(action="email", email="other@example.test", current_password=NEW_PASSWORD)
    assert clash.status_code == 409
    assert post(action="email", email="pager2@example.test", current_password=NEW_PASSWORD).status_code == 302
    assert "We sent a link to pager2@example.test" in client.get("/account").get_data(as_text=True)
    deliver(app)
    assert mails(mailbox, "pager2@example.test", "verify_change")
    assert mails(mailbox, "pager@example.test", "email_changed")
    # Creating a token still works the old way (a form without an action).
    created = client.post("/account", data={"csrf_token": csrf_from(client, "/account"), "name": "script"})
    assert re.search(r'value="ws_[^"]+"', created.get_data(as_text=True))


def test_a_wrong_current_password_and_a_bad_new_one_show_together(app, client):
    """The account page names both at once (not the new password first, then the current one)."""
    signup_page(client, "together@example.test")

    def post(**data):
        return client.post("/account", data={"csrf_token": csrf_from(client, "/account"), **data})

    both = post(action="password", current_password="not my password", password="short")
    page = both.get_data(as_text=True)
    assert both.status_code == 422 and "not your current password" in page and "at least 10 characters" in page
    right = post(action="password", current_password=PASSWORD, password="short")
    page = right.get_data(as_text=True)
    assert right.status_code == 422 and "not your current password" not in page and "at least 10 characters" in page


def test_common_passwords_and_the_same_password_again_are_refused(app, api):
    for weak in ("password123", "Password1234", "aaaaaaaaaaaa", "ababababab"):
        r = api.call("POST", "/signup", json={"email": "weak@example.test", "password": weak, "name": "W"})
        assert r.status_code == 422 and "password" in r.get_json()["error"]["fields"], weak
    me = signup_api(api, "same@example.test")
    same = api.call("PATCH", "/me", me, {"password": PASSWORD, "current_password": PASSWORD})
    assert same.status_code == 422 and same.get_json()["error"]["fields"] == {
        "password": "That is already your password; choose a new one."}
    assert api.call("PATCH", "/me", me, {"password": NEW_PASSWORD, "current_password": PASSWORD}).status_code == 200


def test_cookie_json_changes_need_the_csrf_header(app, client):
    signup_page(client, "csrf@example.test")
    assert client.patch("/api/v1/me", json={"name": "X"}).status_code == 400
    response = client.patch("/api/v1/me", json={"name": "X"}, headers={"X-CSRFToken": csrf_from(client, "/jobs")})
    assert response.status_code == 200 and response.get_json()["user"]["name"] == "X"


def test_current_password_guesses_are_limited(app, api):
    me = signup_api(api, "guess@example.test")
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = (3, 900)
    statuses = [api.call("PATCH", "/me", me, {"password": NEW_PASSWORD, "current_password": f"guess {n}"}).status_code
                for n in range(4)]
    assert statuses == [422, 422, 422, 429]


# ---------------------------------------------------------------- bad input is a 4xx, never a 500

BAD = [
    ("POST", "/password-reset", None, {}, 422),
    ("POST", "/password-reset", None, {"email": 5}, 422),
    ("POST", "/password-reset", None, {"email": "not an address"}, 422),
    ("POST", "/password-reset", None, [1, 2], 422),
    ("POST", "/password-reset", None, "a string", 422),
    ("POST", "/password-reset/x", None, {"password": NEW_PASSWORD}, 404),
    ("POST", "/password-reset/" + "x" * 300, None, {"password": NEW_PASSWORD}, 404),
    ("POST", "/password-reset/" + "x" * 43, None, {}, 422),
    ("POST", "/password-reset/" + "x" * 43, None, {"password": "short"}, 422),
    ("POST", "/password-reset/" + "x" * 43, None, {"password": ["a list"]}, 422),
    ("POST", "/password-reset/" + "x" * 43, None, {"password": "x" * 2000}, 422),
    ("POST", "/me/verify-email", None, None, 401),
    ("PATCH", "/me", None, {"name": "X"}, 401),
    ("PATCH", "/me", "me", {}, 422),
    ("PATCH", "/me", "me", {"nickname": "X"}, 422),
    ("PATCH", "/me", "me", {"name": ""}, 422),
    ("PATCH", "/me", "me", {"name": 5}, 422),
    ("PATCH", "/me", "me", {"name": "x" * 101}, 422),
    ("PATCH", "/me", "me", {"email": "nope", "current_password": PASSWORD}, 422),
    ("PATCH", "/me", "me", {"email": "new@example.test"}, 422),
    ("PATCH", "/me", "me", {"email": "new@example.test", "current_password": 7}, 422),
    ("PATCH", "/me", "me", {"email": "BAD@example.test", "current_password": PASSWORD}, 422),
    ("PATCH", "/me", "me", {"email": "taken@example.test", "current_password": PASSWORD}, 409),
    ("PATCH", "/me", "me", {"password": "short", "current_password": PASSWORD}, 422),
    ("PATCH", "/me", "me", {"password": NEW_PASSWORD}, 422),
    ("PATCH", "/me", "me", {"password": NEW_PASSWORD, "current_password": "wrong one!"}, 422),
    ("PATCH", "/me", "me", [], 422),
    ("POST", "/signup", None, {"email": "x", "password": 1, "name": None}, 422),
]


def test_bad_input_is_a_clear_4xx(app, api):
    me = signup_api(api, "bad@example.test")
    signup_api(api, "taken@example.test")
    for method, path, who, body, status in BAD:
        response = api.call(method, path, me if who else None, body)
        assert response.status_code == status, (method, path, body, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] and error["message"], (path, body)
    malformed = api.client.post("/api/v1/password-reset", data="{nope", content_type="application/json")
    assert malformed.status_code == 400
    assert api.ok("GET", "/me", me)["user"]["email"] == "bad@example.test"  # nothing above changed anything


def test_the_old_address_can_take_a_stolen_account_back(app, api, client, mailbox):
    """Someone with the password moves the account to their address; the notice to the old one carries
    "this was not me": opening it only asks; confirming puts the address back (confirmed), ends every
    session and token (the taker's included), and leads to choosing a new password. Used once."""
    owner = signup_api(api, "victim@example.test")
    taker = api.ok("POST", "/tokens", json={"email": "victim@example.test", "password": PASSWORD}, status=201)
    api.ok("PATCH", "/me", taker, {"email": "taker@example.test", "current_password": PASSWORD})
    confirm = one_mail(app, mailbox, "taker@example.test", "verify_change")
    assert "the account's owner can put their old address back" in text_of(confirm)
    assert "nothing happens" not in text_of(confirm)
    notice = one_mail(app, mailbox, "victim@example.test", "email_changed")
    undo = link_path(notice, "/account/undo-email/")

    asked = client.get(undo)
    assert asked.status_code == 200 and "Put victim@example.test back" in asked.get_data(as_text=True)
    assert api.ok("GET", "/me", taker)["user"]["email"] == "taker@example.test"  # opening changes nothing
    done = client.post(undo, data={"csrf_token": csrf_from(client, undo)})
    assert done.status_code == 302 and "/reset/" in done.headers["Location"]
    for token in (owner, taker):
        assert api.call("GET", "/me", token).status_code == 401
    assert api.call("POST", "/tokens", json={"email": "taker@example.test", "password": PASSWORD}).status_code == 401
    form = client.get(done.headers["Location"])
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert client.post(done.headers["Location"], data={"csrf_token": csrf_from(client, done.headers["Location"]),
                                                       "password": NEW_PASSWORD}).status_code == 302
    back = api.ok("POST", "/tokens", json={"email": "victim@example.test", "password": NEW_PASSWORD}, status=201)
    assert api.ok("PATCH", "/me", back, {"name": "Ann"})["email_verified"] is True
    again = client.get(undo)
    assert again.status_code == 409 and "already uses victim@example.test" in again.get_data(as_text=True)
    assert client.get("/account/undo-email/not-a-token").status_code == 422


def test_an_undo_link_applies_only_to_the_change_it_was_sent_for(app, api, client, mailbox):
    """Moved A -> B, then B -> C by the owner: the A mailbox's old link no longer applies."""
    me = signup_api(api, "first@example.test")
    api.ok("PATCH", "/me", me, {"email": "second@example.test", "current_password": PASSWORD})
    undo = link_path(one_mail(app, mailbox, "first@example.test", "email_changed"), "/account/undo-email/")
    api.ok("PATCH", "/me", me, {"email": "third@example.test", "current_password": PASSWORD})
    for response in (client.get(undo), client.post(undo, data={"csrf_token": csrf_from(client, "/login")})):
        assert response.status_code == 409 and "has changed again" in response.get_data(as_text=True)
    assert api.ok("GET", "/me", me)["user"]["email"] == "third@example.test"
