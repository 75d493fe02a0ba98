"""The viewer's time zone, for the few things the server groups by calendar day (the work diary).

Every page's time.js keeps the browser's IANA zone in the `tz` cookie; scripts pass `?tz=`. Times
themselves are always sent in UTC and shown in the viewer's zone by the browser; only grouping
("which day was this session?") needs the zone on the server.
"""
from __future__ import annotations

import re
from datetime import timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request

from workspace.domain.errors import Invalid

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$")


def parse_zone(name: str | None) -> tzinfo | None:
    """The zone called `name` (e.g. "America/New_York", "UTC"), or None when there is no such zone."""
    if not name or not _NAME.match(name) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory of the system's zone files
        return None


def zone_from_cookie(value: str | None) -> tzinfo:
    """A page's zone: the cookie's, or UTC when it is missing or not a zone (never an error)."""
    return parse_zone(value) or timezone.utc


def page_zone() -> tzinfo:
    """The zone of the person viewing a page (their `tz` cookie)."""
    return zone_from_cookie(request.cookies.get("tz"))


def zone_from_query(value: str | None) -> tzinfo:
    """An API call's zone (`?tz=`): UTC when absent, a 422 when it names no zone."""
    if value in (None, ""):
        return timezone.utc
    zone = parse_zone(value)
    if zone is None:
        raise Invalid("tz is an IANA time zone such as Europe/Berlin or UTC.", fields={"tz": "Unknown time zone."})
    return zone
