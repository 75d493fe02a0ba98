"""In Chromium: the freelancer sets up a job and terms, the client joins from the link and accepts."""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


def test_whole_setup_flow(live_server, contexts, request):
    shots: list[tuple[str, bytes]] = []

    def shot(page, name):
        shots.append((name, page.screenshot(full_page=True)))

    try:
        _flow(live_server, contexts, shot)
    except BaseException:
        _save(shots, request.node.name)
        raise
    if os.environ.get("SAVE_SCREENSHOTS"):
        _save(shots, request.node.name)


def _save(shots: list[tuple[str, bytes]], prefix: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name, png in shots:
        (ARTIFACTS / f"{prefix}-{name}.png").write_bytes(png)


def _flow(server, contexts, shot):
    url = server.url
    fran = contexts().new_page()
    fran.goto(url + "/signup")
    fran.fill("input[name=name]", "Fran")
    fran.fill("input[name=email]", "fran@example.test")
    fran.fill("input[name=password]", "correct horse battery")
    fran.click("main button[type=submit]")
    fran.wait_for_url(url + "/jobs")
    assert fran.get_by_text("No jobs yet").is_visible()
    shot(fran, "dashboard-empty")

    fran.click("text=Create your first job")
    fran.fill("input[name=title]", "Logo for Northwind")
    fran.fill("textarea[name=description]", "A new logo and palette")
    fran.click("main button[type=submit]")
    fran.wait_for_url(re.compile(r"/agreement/propose"))
    deadline = date.today() + timedelta(days=30)
    fran.fill("textarea[name=scope]", "Two logo concepts, then **one** refinement.")
    fran.fill("input[name=deadline]", deadline.isoformat())
    fran.select_option("select[name=currency]", "EUR")
    fran.fill("input[name=m-0-title]", "Concepts")
    fran.fill("input[name=m-0-amount]", "600")
    fran.fill("input[name=m-0-due]", (deadline - timedelta(days=20)).isoformat())
    fran.fill("textarea[name=m-0-criteria]", "Two directions\nBlack and white")
    fran.click("#add-milestone")
    fran.fill("input[name=m-1-title]", "Final files")
    fran.fill("input[name=m-1-amount]", "400.50")
    fran.fill("input[name=m-1-due]", deadline.isoformat())
    fran.check("input[name=upfront_kind][value=portion]")
    fran.fill("input[name=upfront_amount]", "200")
    assert fran.text_content("#total") == "1,000.50 EUR"
    assert fran.text_content("#upfront-due") == "200.00 EUR"
    shot(fran, "terms-form")
    fran.click("text=Propose these terms")
    fran.wait_for_url(re.compile(r"/invites$"))
    fran.click("text=Create invitation link")
    link = fran.input_value("#invite-url")
    assert "/invite/" in link
    shot(fran, "invite-created")

    cleo = contexts().new_page()
    cleo.goto(link)
    assert cleo.get_by_text("Fran").first.is_visible()
    cleo.fill("input[name=name]", "Cleo")
    cleo.fill("input[name=email]", "cleo@example.test")
    cleo.fill("input[name=password]", "another good password")
    shot(cleo, "invite-page")
    cleo.click("text=Create account and join")
    cleo.wait_for_url(re.compile(r"/agreement$"))
    assert cleo.get_by_text("Version 1 proposed").is_visible()
    assert cleo.locator("table.diff").get_by_text("1,000.50 EUR").is_visible()
    assert cleo.locator(".prose strong").text_content() == "one"  # Markdown rendered
    shot(cleo, "agreement-pending")
    cleo.click("text=Accept version 1")
    cleo.wait_for_selector("text=You accepted version 1.")
    assert cleo.locator(".job-head .badge").text_content() == "Active"
    assert cleo.get_by_text("In force: version 1").is_visible()
    shot(cleo, "agreement-in-force")

    fran.goto(fran.url.replace("/invites", "/"))
    assert fran.locator(".job-head .badge").text_content() == "Active"
    fran.locator("#timeline").get_by_text("Version 1 of the agreement is now in force.").wait_for()
    shot(fran, "room")
    fran.goto(url + "/jobs")
    card = fran.locator(".job-card")
    assert card.get_by_text("Active").is_visible() and card.get_by_text("Concepts").is_visible()
    shot(fran, "dashboard")


def test_pages_fit_a_phone(live_server, contexts):
    page = contexts(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    for path in ("/", "/signup", "/login"):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
