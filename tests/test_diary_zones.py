"""The work diary groups sessions by the viewer's calendar day: a session at 21:30 in New York (02:30
UTC the next day) is that evening's, for the page (the `tz` cookie every page keeps), the CSV and the
API (`?tz=`). Without a zone, days are UTC's."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.support import log_in
from workspace.extensions import db
from workspace.models import Job, LiveSession


def _session_at(app, job, people, start: datetime, minutes: int) -> None:
    with app.app_context():
        job_pk = db.session.query(Job.id).filter(Job.public_id == job["id"]).scalar()
        end = start.replace(minute=start.minute + minutes)
        db.session.add(LiveSession(job_id=job_pk, publisher_id=people["freelancer"]["id"], title="Evening work",
                                   started_at=start, ended_at=end, ended_reason="stopped", last_heartbeat_at=end))
        db.session.commit()
        db.session.remove()


def test_days_are_the_viewers(app, api, people, job):
    evening_in_new_york = datetime(2026, 11, 27, 2, 30, tzinfo=timezone.utc)  # Thu Nov 26, 21:30 EST
    _session_at(app, job, people, evening_in_new_york, 20)
    c = people["client"]

    in_utc = api.ok("GET", f"/jobs/{job['id']}/diary", c)
    assert [d["day"] for d in in_utc["days"]] == ["2026-11-27"] and in_utc["time_zone"] == "UTC"
    in_ny = api.ok("GET", f"/jobs/{job['id']}/diary?tz=America/New_York", c)
    assert [d["day"] for d in in_ny["days"]] == ["2026-11-26"] and in_ny["time_zone"] == "America/New_York"
    assert in_ny["weeks"] == [{"week": "2026-W48", "seconds": 1200}]
    in_tokyo = api.ok("GET", f"/jobs/{job['id']}/diary?tz=Asia/Tokyo", c)
    assert [d["day"] for d in in_tokyo["days"]] == ["2026-11-27"]

    for bad in ("Mars/Olympus", "../../etc/passwd", "x" * 65, "America/New_York\x00"):
        refused = api.call("GET", f"/jobs/{job['id']}/diary", c, query_string={"tz": bad})
        assert refused.status_code == 422, bad
        assert "tz" in refused.get_json()["error"]["fields"]  # unknown, or refused as text before that


def test_the_page_and_csv_use_the_zone_cookie(app, client, api, people, job):
    _session_at(app, job, people, datetime(2026, 11, 27, 2, 30, tzinfo=timezone.utc), 20)
    log_in(client, people["client"])
    client.set_cookie("tz", "America/New_York", domain="localhost")
    page = client.get(f"/jobs/{job['id']}/diary/").get_data(as_text=True)
    assert 'datetime="2026-11-26"' in page and "Days and weeks in America/New_York." in page
    csv_rows = client.get(f"/jobs/{job['id']}/diary/export.csv").get_data(as_text=True).splitlines()
    assert csv_rows[1].startswith("2026-11-26,2026-11-27T02:30")

    client.set_cookie("tz", "Not/AZone", domain="localhost")  # a bad cookie is not an error: UTC
    page = client.get(f"/jobs/{job['id']}/diary/").get_data(as_text=True)
    assert 'datetime="2026-11-27"' in page and "Days and weeks in UTC." in page
