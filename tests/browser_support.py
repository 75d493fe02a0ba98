"""Helpers for browser tests: log a Playwright page in through the real login form."""
from __future__ import annotations

from typing import Any


def log_in(page: Any, server: Any, who: dict[str, Any]) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=email]", who["email"])
    page.fill("input[name=password]", who["password"])
    page.click("main button[type=submit]")
    page.wait_for_url(server.url + "/jobs")


def open_room(page: Any, server: Any, job_id: str) -> None:
    page.goto(f"{server.url}/jobs/{job_id}/")
    page.wait_for_function("() => document.body.dataset.connection === 'live'")


SIZES = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}


def person(server: Any, contexts: Any, size: str, who: dict[str, Any]) -> Any:
    """A page at one of SIZES, logged in as `who`."""
    page = contexts(viewport=SIZES[size]).new_page()
    log_in(page, server, who)
    return page
