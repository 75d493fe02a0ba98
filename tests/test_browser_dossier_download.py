"""In Chromium: the dossier link shows its progress while the zip is built and sent (it has no length:
the bar follows the server's estimate), then saves a zip that holds the job's files."""
from __future__ import annotations

import zipfile

import pytest

from tests.browser_support import SIZES, log_in, open_room, show_tab
from tests.sockets import job_in_force
from tests.support import terms

pytestmark = pytest.mark.browser

BIG = 6 * 1024 * 1024


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dossier_download_shows_progress_and_saves_the_zip(live_server, contexts, size):
    job, people = job_in_force(live_server, terms())
    client = people["client"]
    drawing = b"%PDF-1.4 big drawing\n" + bytes(range(256)) * (BIG // 256)
    r = live_server.api("POST", f"/jobs/{job['id']}/attachments", client,
                        files={"file": ("drawing.pdf", drawing, "application/pdf")})
    assert r.status_code == 201, r.text
    live_server.api("POST", f"/jobs/{job['id']}/messages", client, {"attachments": [r.json()["attachment"]["id"]]},
                    status=201)
    estimate = live_server.api("GET", f"/jobs/{job['id']}/dossier.zip", client, status=200)
    assert int(estimate.headers["X-Dossier-Estimate"]) >= BIG  # what the bar is measured against

    page = contexts(viewport=SIZES[size], accept_downloads=True).new_page()
    log_in(page, live_server, client)
    open_room(page, live_server, job["id"])
    show_tab(page, size, "Milestones & money")
    link = page.locator("#balance-panel .dossier-link")
    page.evaluate("""() => {  // every progress bar the page draws, however fast the download goes
      window.bars = [];
      new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
        if (n.tagName === "PROGRESS") window.bars.push([n.value, n.max]);
      }))).observe(document.body, { childList: true, subtree: true });
    }""")
    with page.expect_download() as download_info:
        link.click()
    status = page.locator(".dossier-progress").first
    status.filter(has_text="Downloaded dossier-").wait_for()
    assert "verify.py" in status.inner_text()
    bars = page.evaluate("window.bars")
    assert bars[0][0] == 0 and max(value for value, _max in bars) >= BIG, bars[:3]
    assert all(0 <= value <= top for value, top in bars)
    archive = zipfile.ZipFile(download_info.value.path())
    saved = [n for n in archive.namelist() if n.endswith("-drawing.pdf")]
    assert saved and archive.read(saved[0]) == drawing
