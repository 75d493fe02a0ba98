"""In Chromium at 1366x800 and 390x844: the Info tab's "Agreement vN" card follows the terms in force
while the room is open. It appears when the first version comes into force, shows the next version's
number and summary once that one is accepted, lists a joining client's acceptance and whose admission
they wait for (with the button for the client who admits them), and says what a reload would draw."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser_support import SIZES, in_room, show_tab
from tests.conftest import ARTIFACTS
from tests.sockets import job_with_people
from tests.support import terms
from workspace.domain.money import format_money

pytestmark = pytest.mark.browser

# What the card says, read the same way from the server's drawing and from the live one.
CARD = """() => {
    const card = document.getElementById("agreement-card");
    if (!card) return null;
    return {
        title: card.querySelector("h2").textContent.trim(),
        version: card.dataset.version,
        facts: Object.fromEntries([...card.querySelectorAll(".facts > div")].map(
            (d) => [d.querySelector("dt").textContent.trim(), d.querySelector("dd").textContent.trim()])),
        deadline: card.querySelector("time[data-format=deadline]").getAttribute("datetime"),
        consent: [...card.querySelectorAll(".consent li")].map((li) => [li.className, li.dataset.user,
            li.querySelector(".admission")?.textContent.trim() ?? null, !!li.querySelector("form button")]),
        link: [card.querySelector(":scope > a").textContent.trim(), card.querySelector(":scope > a").getAttribute("href")],
    };
}"""


def put_in_force(server: Any, job_id: str, people: dict[str, Any], version: int, body: dict[str, Any]) -> None:
    """The freelancer proposes `body` (version `version`) and the client accepts it: it is in force."""
    proposed = server.api("POST", f"/jobs/{job_id}/agreements", people["freelancer"], body, status=201).json()["agreement"]
    assert proposed["version"] == version
    server.api("POST", f"/jobs/{job_id}/agreements/{version}/accept", people["client"],
               {"terms_hash": proposed["terms_hash"]}, status=200)


def card_says(page: Any, version: int) -> dict[str, Any]:
    page.locator("#agreement-card h2", has_text=f"v{version}").wait_for()
    return page.evaluate(CARD)


def same_as_the_server_draws(page: Any, live: dict[str, Any]) -> None:
    """The live card says what the server draws for the same job, word for word (accepted times aside:
    "5 minutes ago" live, the moment on the server's): the page opened again in a tab of its own."""
    fresh = page.context.new_page()
    fresh.goto(page.url)
    fresh.wait_for_function("() => document.body.dataset.connection === 'live'")
    assert fresh.evaluate(CARD) == live
    fresh.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_info_card_follows_the_terms_in_force_without_a_reload(shared_server, contexts, size):
    job, people = job_with_people(shared_server)
    freelancer, client = in_room(shared_server, contexts, size, job["id"], people["freelancer"], people["client"])
    for page in (freelancer, client):
        show_tab(page, size, "Info")
        page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
        assert page.locator("#agreement-card").count() == 0  # no terms in force yet

    first = terms()
    put_in_force(shared_server, job["id"], people, 1, first)
    for page in (freelancer, client):
        card = card_says(page, 1)
        assert page.locator("#agreement-card").is_visible()
        assert card["title"] == "Agreement v1"
        assert card["facts"]["Total"] == format_money(50000, "EUR")
        assert card["facts"]["Due up front"] == format_money(10000, "EUR")
        assert card["facts"]["Updates"] == "at least every 24 h"
        assert card["facts"]["Review window"] == "7 days, then auto-approved"
        assert card["deadline"] == f"{first['deadline']}T23:59:59Z"
        assert card["consent"] == [] and card["link"] == ["Full terms", f"/jobs/{job['id']}/agreement"]
        same_as_the_server_draws(page, card)
    before = card["facts"]
    # Placed where the server draws it: the first card of the Info tab.
    assert client.evaluate("() => document.getElementById('panel-info').firstElementChild.id") == "agreement-card"

    deadline = (date.today() + timedelta(days=45)).isoformat()
    second = terms(deadline=deadline, upfront={"kind": "none"}, update_every_hours=48, auto_approve_days=1,
                   mediation_binding=True)
    put_in_force(shared_server, job["id"], people, 2, second)
    for page in (freelancer, client):
        card = card_says(page, 2)
        assert card["title"] == "Agreement v2" and card["version"] == "2"
        assert card["facts"]["Due up front"] == "Nothing"
        assert card["facts"]["Updates"] == "at least every 48 h"
        assert card["facts"]["Review window"] == "1 day, then auto-approved"
        assert card["facts"]["Mediation"] != before["Mediation"]  # binding now (its words: the macro's)
        assert card["deadline"] == f"{deadline}T23:59:59Z"
        assert page.locator("#agreement-card").count() == 1
        assert page.evaluate("() => window.__sameDocument === true")  # all of it without a reload
        same_as_the_server_draws(page, card)
    client.screenshot(path=str(ARTIFACTS / f"info-terms-live-{size}.png"))


def test_a_joining_clients_acceptance_shows_on_the_info_card_with_the_admit_button(shared_server, contexts):
    """A colleague joins as a client while the room is open and accepts the terms in force: the card
    (which listed nobody) now lists who accepted and the colleague waiting for the client's admission, as
    the server draws it; the client's own page offers "Admit as client", and it works."""
    job, people = job_with_people(shared_server)
    put_in_force(shared_server, job["id"], people, 1, terms())
    freelancer, client = in_room(shared_server, contexts, "laptop", job["id"], people["freelancer"], people["client"])
    assert client.locator("#agreement-card .consent").count() == 0  # nobody joining: no list

    colleague = shared_server.signup("colleague")
    invite = shared_server.api("POST", f"/jobs/{job['id']}/invites", people["freelancer"], {"role": "client"},
                               status=201).json()["invite"]
    shared_server.api("POST", f"/invites/{invite['token']}/accept", colleague, status=200)
    in_force = shared_server.api("GET", f"/jobs/{job['id']}", colleague, status=200).json()["job"]["agreement"]
    shared_server.api("POST", f"/jobs/{job['id']}/agreements/1/accept", colleague,
                      {"terms_hash": in_force["terms_hash"]}, status=200)
    waiting = "· waiting for Client's admission"
    signed = [["accepted", str(people[who]["id"]), None, False] for who in ("freelancer", "client")]
    for page, button in ((freelancer, False), (client, True)):
        page.locator("#agreement-card .admission", has_text=waiting).wait_for()
        assert page.evaluate(CARD)["consent"] == [*signed, ["accepted", str(colleague["id"]), waiting, button]]
    client.screenshot(path=str(ARTIFACTS / "info-terms-joining-laptop.png"))
    same_as_the_server_draws(freelancer, freelancer.evaluate(CARD))
    client.locator("#agreement-card").get_by_role("button", name="Admit as client").click()
    client.wait_for_url(f"**/jobs/{job['id']}/agreement")
    client.get_by_text("You admitted Colleague; they are now a client of this job.").wait_for()
