"""In Chromium: a forgotten password, end to end. "Forgot your password?" on the login page, the
request, the link read from a real SMTP server, a new password, and a login with it. Also the
recovery pages at phone and laptop sizes (screenshots saved with SAVE_SCREENSHOTS=1)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.mailbox import links_in
from tests.servers import LiveServer

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
NEW_PASSWORD = "a brand new passphrase"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 800}}


@pytest.fixture
def mail_server(tmp_path, sqlite_template, mailbox):
    """`python wsgi.py` whose mail goes to the test SMTP server and whose links point at itself."""
    db_path = tmp_path / "live.db"
    shutil.copy(sqlite_template, db_path)
    server = LiveServer(f"sqlite:///{db_path}", tmp_path, env={"SMTP_URL": mailbox.url, "MAIL_POLL_INTERVAL": "0.5"})
    server.env["PUBLIC_URL"] = server.url
    server.start()
    yield server
    server.stop()


def reset_link(mailbox, address):
    messages = mailbox.wait_for(lambda ms: any(address in str(m["To"]) and m["Subject"] == "Reset your Workspace password"
                                               for m in ms))
    message = [m for m in messages if address in str(m["To"]) and "Reset" in m["Subject"]][-1]
    return next(link for link in links_in(message) if "/reset/" in link)


def test_password_reset_journey(mail_server, mailbox, contexts):
    who = mail_server.signup("forgetful")
    page = contexts().new_page()
    page.goto(mail_server.url + "/login")
    page.click("text=Forgot your password?")
    page.wait_for_url(mail_server.url + "/forgot")
    page.fill("input[name=email]", who["email"])
    page.click("main button[type=submit]")
    page.get_by_role("heading", name="Check your inbox").wait_for()

    link = reset_link(mailbox, who["email"])
    assert link.startswith(mail_server.url + "/reset/")
    page.goto(link)
    page.get_by_role("heading", name="Choose a new password").wait_for()
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(mail_server.url + "/login")
    assert page.get_by_text("Log in with your new password").is_visible()

    page.fill("input[name=email]", who["email"])
    page.fill("input[name=password]", who["password"])  # the old one no longer works
    page.click("main button[type=submit]")
    page.get_by_text("do not match an account").wait_for()
    page.fill("input[name=email]", who["email"])
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(mail_server.url + "/jobs")
    mail_server.api("GET", "/me", who, status=401)  # the sign-up token died with the old password

    page.goto(link)  # single use
    page.get_by_role("heading", name="This link no longer works").wait_for()
    mailbox.wait_for(lambda ms: any(m["Subject"] == "Your Workspace password was changed" for m in ms))


def test_recovery_pages_look_finished(mail_server, mailbox, contexts):
    """Each page at 390x844 and 1366x800: no sideways scrolling, and screenshots to look at."""
    who = mail_server.signup("looker")
    mail_server.api("POST", "/password-reset", json={"email": who["email"]}, status=202)
    link = reset_link(mailbox, who["email"])
    for size, viewport in SIZES.items():
        page = contexts(viewport=viewport).new_page()
        for name, path in (("login", "/login"), ("forgot", "/forgot"), ("reset", link[len(mail_server.url):]),
                           ("reset-stale", "/reset/" + "x" * 43)):
            page.goto(mail_server.url + path)
            _check(page, size, name)
        page.goto(mail_server.url + "/forgot")
        page.fill("input[name=email]", who["email"])
        page.click("main button[type=submit]")
        page.get_by_role("heading", name="Check your inbox").wait_for()
        _check(page, size, "check-inbox")
        page.goto(mail_server.url + "/login")
        page.fill("input[name=email]", who["email"])
        page.fill("input[name=password]", who["password"])
        page.click("main button[type=submit]")
        page.wait_for_url(mail_server.url + "/jobs")
        assert page.locator(".verify-banner").is_visible()
        _check(page, size, "jobs-with-banner")
        page.goto(mail_server.url + "/account")
        _check(page, size, "account")
        page.fill("#password input[name=current_password]", "not my password")
        page.fill("#password input[name=password]", "another passphrase")
        page.click("#password button[type=submit]")
        page.locator("#password .alert").wait_for()
        _check(page, size, "account-error")
        page.locator("header form button").click()  # log out
        page.wait_for_url(re.compile(r"/login$"))
    verify = mailbox.wait_for(lambda ms: any(m["Subject"] == "Confirm your email address" for m in ms))
    link = next(lk for m in verify if m["Subject"] == "Confirm your email address" for lk in links_in(m)
                if "/verify/" in lk)
    page = contexts(viewport=SIZES["phone"]).new_page()
    page.goto(link)
    page.get_by_role("heading", name="Address confirmed").wait_for()
    _check(page, "phone", "verified")


def _check(page, size, name):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, (size, name, overflow)
    if os.environ.get("SAVE_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"recovery-{size}-{name}.png"), full_page=True)
