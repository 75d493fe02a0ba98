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


def key() -> dict[str, str]:
    """A fresh Idempotency-Key header for one money action."""
    import uuid

    return {"Idempotency-Key": uuid.uuid4().hex}


def in_room(server: Any, contexts: Any, size: str, job_id: str, *who: dict[str, Any]) -> list[Any]:
    """One page per person at one of SIZES, each logged in and live in the job's room (in order)."""
    pages = [person(server, contexts, size, w) for w in who]
    for page in pages:
        open_room(page, server, job_id)
    return pages


def in_room_after(server: Any, contexts: Any, size: str, job_id: str, poster: dict[str, Any],
                  reader: dict[str, Any], words: str, count: int) -> Any:
    """`poster` writes `count` messages ("<words> 0" ...); `reader`'s page then opens the room at the last."""
    for n in range(count):
        server.api("POST", f"/jobs/{job_id}/messages", poster, {"body": f"{words} {n}"}, status=201)
    page, = in_room(server, contexts, size, job_id, reader)
    page.locator(".prose", has_text=f"{words} {count - 1}").wait_for()
    return page


def show_tab(page: Any, size: str, name: str) -> None:
    """On a phone, pick the room tab `name`; on a laptop every panel shows already."""
    if size == "phone":
        page.get_by_role("tab", name=name).click()


def go_live(page: Any, size: str | None = None, title: str = "Logo concepts") -> None:
    """The freelancer's page goes live from the go-live form (on a phone, from the Live tab)."""
    if size is not None:
        show_tab(page, size, "Live")
    page.fill("#golive-form input[name=title]", title)
    page.click("#golive-form button[type=submit]")
    page.locator("#live-status", has_text="You are live").wait_for()


def logged_out_elsewhere(server: Any, contexts: Any, size: str, job_id: str, who: dict[str, Any]) -> Any:
    """A room tab of `who` whose login ends in another tab of the same browser: (room page, other page)."""
    context = contexts(viewport=SIZES[size])
    room = context.new_page()
    log_in(room, server, who)
    open_room(room, server, job_id)
    other = context.new_page()
    other.goto(server.url + "/jobs")
    other.get_by_role("button", name="Log out").click()
    return room, other


def wait_until(check: Any, what: str, seconds: float = 20.0) -> Any:
    """Poll `check()` (a server-side fact) until it is truthy, with a deadline; its value, or fail saying `what`."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:g} s for {what}")
        time.sleep(0.1)


def deliver(server: Any, job_id: str, fran: dict[str, Any], cleo: dict[str, Any], index: int = 0,
            note: str = "All done", approve: bool = True) -> dict[str, Any]:
    """The freelancer submits milestone `index` and (unless told not to) the client approves it."""
    milestone = server.api("GET", f"/jobs/{job_id}", fran, status=200).json()["job"]["milestones"][index]
    server.api("POST", f"/milestones/{milestone['id']}/submit", fran, {"note": note}, status=200)
    if approve:
        server.api("POST", f"/milestones/{milestone['id']}/approve", cleo, {}, headers=key(), status=200)
    return milestone


def pay(server: Any, job_id: str, fran: dict[str, Any], cleo: dict[str, Any], amount: int, reference: str,
        confirm: bool = True) -> dict[str, Any]:
    """The client records a bank transfer of `amount` and (unless told not to) the freelancer confirms it."""
    payment = server.api("POST", f"/jobs/{job_id}/payments", cleo,
                         {"amount": amount, "method": "bank_transfer", "reference": reference},
                         headers=key(), status=201).json()["payment"]
    if confirm:
        server.api("POST", f"/payments/{payment['id']}/confirm", fran, {}, headers=key(), status=200)
    return payment
