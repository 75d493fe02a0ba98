"""Accounts: sign-up, log-in, logout, revocable sessions, CSRF, cookies, rate limits, API tokens."""
from __future__ import annotations

import pytest

import re

from sqlalchemy import select


def csrf_from(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def signup_form(client, email="ann@example.test", password="correct horse battery", name="Ann"):
    token = csrf_from(client, "/signup")
    return client.post("/signup", data={"csrf_token": token, "email": email, "password": password, "name": name})


def test_signup_logs_in_and_sets_safe_cookies(client):
    response = signup_form(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/jobs").status_code == 200


def test_cookie_is_secure_over_https(client):
    token = csrf_from(client, "/signup")
    response = client.post("/signup", base_url="https://localhost", headers={"Referer": "https://localhost/signup"}, data={
        "csrf_token": token, "email": "sec@example.test", "password": "correct horse battery", "name": "S"})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_passwords_are_argon2id_hashes(app, client):
    signup_form(client)
    from workspace.extensions import db
    from workspace.models import User

    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_signup_errors_are_shown_per_field(client):
    response = signup_form(client, email="nope", password="short", name="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Enter a valid email address.", "Use at least 10 characters.", "Tell us your name."):
        assert message in page


def test_duplicate_email_changes_nothing_case_insensitively(api):
    """Issue 8: a taken address gets 202 with the sign-up message (never "already registered")."""
    first = api.ok("POST", "/signup", json={"email": "Dup@Example.test", "password": "correct horse battery",
                                            "name": "A"}, status=201)
    response = api.call("POST", "/signup", json={"email": "dup@example.TEST ", "password": "another passphrase", "name": "B"})
    assert response.status_code == 202 and response.get_json() == {"message": first["message"]}
    assert api.ok("GET", "/me", {"token": first["token"]})["user"]["name"] == "A"


def test_forms_without_csrf_are_refused(client):
    response = client.post("/signup", data={"email": "a@b.test", "password": "x" * 12, "name": "A"})
    assert response.status_code == 400 and "Reload the page" in response.get_data(as_text=True)


def test_cookie_authenticated_json_needs_csrf_header(client):
    signup_form(client)
    response = client.post("/api/v1/jobs", json={"title": "X"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    token = csrf_from(client, "/jobs")
    response = client.post("/api/v1/jobs", json={"title": "X"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_bearer_requests_ignore_the_cookie(client, api):
    signup_form(client)
    response = client.post("/api/v1/jobs", json={"title": "X"}, headers={"Authorization": "Bearer ws_bogus"})
    assert response.status_code == 401  # a bad token is never rescued by the session cookie


def test_login_logout_and_revoked_session_cookie(client):
    signup_form(client)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/jobs")})
    token = csrf_from(client)
    response = client.post("/login", data={"csrf_token": token, "email": "ANN@example.test",
                                           "password": "correct horse battery"})
    assert response.status_code == 302
    stolen = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_from(client, "/jobs")})
    assert client.get("/jobs").status_code == 302
    # A copy of the cookie taken before logout no longer works: the login session is revoked.
    client.set_cookie("session", stolen, domain="localhost")
    response = client.get("/jobs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_refused_without_saying_which_part(client):
    signup_form(client)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/jobs")})
    for email in ("ann@example.test", "nobody@example.test"):
        response = client.post("/login", data={"csrf_token": csrf_from(client), "email": email,
                                               "password": "wrong password!"})
        assert response.status_code == 401
        assert "do not match an account" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_account(app, api):
    api.signup("victim")
    email = "victim1@example.test"
    for _ in range(10):
        assert api.call("POST", "/tokens", json={"email": email, "password": "bad password"}).status_code == 401
    response = api.call("POST", "/tokens", json={"email": email, "password": "correct horse battery"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0


def test_login_is_rate_limited_per_address(app, api):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = (5, 900)
    for i in range(5):
        api.call("POST", "/tokens", json={"email": f"x{i}@example.test", "password": "bad password"})
    response = api.call("POST", "/tokens", json={"email": "other@example.test", "password": "whatever"})
    assert response.status_code == 429


def test_api_tokens_create_list_revoke(api):
    me = api.signup("owner")
    created = api.ok("POST", "/tokens", json={"email": "owner1@example.test", "password": "correct horse battery",
                                              "name": "CI"}, status=201)
    second = {"token": created["token"]}
    names = [t["name"] for t in api.ok("GET", "/tokens", me)["tokens"]]
    assert names == ["Sign-up token", "CI"]
    assert all("token" not in t for t in api.ok("GET", "/tokens", me)["tokens"])  # never shown again
    assert api.ok("GET", "/me", second)["user"]["id"] == me["id"]
    assert api.call("DELETE", f"/tokens/{created['token_info']['id']}", me).status_code == 204
    assert api.call("GET", "/me", second).status_code == 401
    assert api.call("DELETE", f"/tokens/{created['token_info']['id']}", me).status_code == 404


def test_tokens_are_stored_hashed(app, api):
    me = api.signup("hashed")
    from workspace.extensions import db
    from workspace.models import ApiToken

    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert me["token"] not in stored and len(stored[0]) == 64


def test_account_page_creates_and_revokes_tokens(client):
    signup_form(client)
    page = client.post("/account", data={"csrf_token": csrf_from(client, "/account"), "name": "script"})
    raw = re.search(r'value="(ws_[^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    token_id = re.search(r'name="token_id" value="(\d+)"', page.get_data(as_text=True)).group(1)
    client.post("/account", data={"csrf_token": csrf_from(client, "/account"), "action": "revoke",
                                  "token_id": token_id})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_login_redirects_only_to_local_paths(client):
    signup_form(client)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/jobs")})
    for target, expected in (("https://evil.test/x", "/jobs"), ("//evil.test", "/jobs"), ("/jobs/new", "/jobs/new")):
        response = client.post("/login", data={"csrf_token": csrf_from(client), "email": "ann@example.test",
                                               "password": "correct horse battery", "next": target})
        assert response.headers["Location"].endswith(expected), target
        client.post("/logout", data={"csrf_token": csrf_from(client, "/jobs")})


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("address", ["postmaster,attacker@evil.test", "a;b@example.test", "A <a@example.test>",
                                     "a\x12b@example.test", '"a"@example.test', "a@example.test\nbcc"])
def test_an_address_that_reads_as_more_than_one_is_refused(api, address):
    """Commas, angle brackets, quotes and control characters would make the To header name other
    recipients (or none): refused like any malformed address, and no account is made."""
    response = api.call("POST", "/signup", json={"email": address, "password": "correct horse battery", "name": "A"})
    assert response.status_code == 422 and response.get_json()["error"]["fields"]["email"] == "Enter a valid email address."


def test_mail_goes_to_the_one_recipient_named(mailbox):
    """The SMTP envelope names exactly the To header's text, never an address list parsed out of it:
    an account made before addresses were checked this strictly must not send mail elsewhere."""
    from email.message import EmailMessage

    from workspace.mail.transport import MailError, deliver

    def message(to: str) -> EmailMessage:
        m = EmailMessage()
        m["From"], m["To"], m["Subject"] = "ws@example.test", to, "Hi"
        m.set_content("Hello")
        return m

    deliver(message("someone@example.test"), mailbox.url, "/nonexistent")
    mailbox.wait_for(lambda messages: messages)
    assert mailbox.envelopes[0].rcpt_tos == ["someone@example.test"]
    try:  # one odd recipient (a server may refuse it): never two
        deliver(message("postmaster, attacker@evil.test"), mailbox.url, "/nonexistent")
    except MailError:
        pass
    assert all(len(e.rcpt_tos) == 1 for e in mailbox.envelopes)
    assert not any("attacker@evil.test" in e.rcpt_tos for e in mailbox.envelopes)


def test_one_mailbox_one_spelling(api):
    """"ß" stays "ß" (casefold made it "ss": mail went to another mailbox); a fullwidth domain is the
    domain it maps to, so it cannot make a second account for one mailbox."""
    made = api.ok("POST", "/signup", json={"email": "Straße@Example.test", "password": "correct horse battery",
                                           "name": "A"}, status=201)
    assert api.ok("GET", "/me", {"token": made["token"]})["user"]["email"] == "straße@example.test"
    api.ok("POST", "/signup", json={"email": "alice@example.test", "password": "correct horse battery", "name": "B"},
           status=201)
    again = api.call("POST", "/signup", json={"email": "alice@ｅxample.test", "password": "correct horse battery",
                                              "name": "C"})
    assert again.status_code == 202  # taken: the same mailbox
