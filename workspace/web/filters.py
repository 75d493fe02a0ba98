"""Template filters: money, Markdown, dates; and the values every page needs.

Times are rendered as `<time datetime="ISO-8601 Z" data-format="...">UTC text</time>`: the UTC text is
what a page without scripts shows, and static/js/time.js rewrites every such element in the viewer's
time zone (naming the zone where a date matters: deadlines and due dates, format "deadline"; other
moments someone acts by, such as an invitation's expiry, format "zoned": `when(zone=True)`)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from workspace.domain.agreement import due_at
from workspace.domain.money import format_money, to_major
from workspace.domain.roles import role_label
from workspace.rendering import render_markdown


def init_app(app: Flask) -> None:
    app.add_template_filter(_money, "money")
    app.add_template_filter(_major, "major")
    app.add_template_filter(_markdown, "markdown")
    app.add_template_filter(_day, "day")
    app.add_template_filter(_when, "when")
    app.add_template_filter(_due, "due")
    app.add_template_filter(_due_iso, "due_iso")
    app.add_template_filter(_when_text, "when_text")
    app.add_template_filter(_parts, "parts")
    app.add_template_filter(_overdue, "overdue")
    app.add_template_filter(_duration, "duration")
    app.add_template_filter(_clock, "clock")
    app.add_template_filter(_interval, "interval")
    app.add_template_filter(_role, "role")


def _role(value: Any) -> str:
    """A role as people read it (a pending client is a client who has not yet joined fully)."""
    label = role_label(str(value)).replace("_", " ")
    return label[:1].upper() + label[1:]


def _money(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return "—"
    return format_money(int(amount), currency)


def _major(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    return to_major(int(amount), currency)


def _markdown(text: str | None) -> Markup:
    return Markup(render_markdown(text or ""))  # sanitized by nh3 in render_markdown


def _parse(value: Any) -> datetime | date | None:
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(iso: str, fmt: str, text: str) -> Markup:
    return Markup('<time datetime="{}" data-format="{}">{}</time>').format(iso, fmt, text)


def _day(value: Any) -> Markup | str:
    """A calendar day ("day") or the day of a moment ("date", in the viewer's zone)."""
    parsed = _parse(value)
    if parsed is None:
        return "—"
    if isinstance(parsed, datetime):
        return _time(_iso(parsed), "date", parsed.astimezone(timezone.utc).strftime("%a %d %b %Y"))
    return _time(parsed.isoformat(), "day", parsed.strftime("%a %d %b %Y"))


def _when(value: Any, zone: bool = False) -> Markup | str:
    """A moment, shown in the viewer's zone; `zone=True` names the zone in the text too (format "zoned"),
    for a moment read on its own that someone may act by or pass on (an invitation's expiry)."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return _day(value)
    return _time(_iso(parsed), "zoned" if zone else "datetime", _when_text(parsed))


def _when_text(value: Any) -> str:
    """A moment as plain UTC text (for attributes, where no element can go)."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return "—" if parsed is None else parsed.strftime("%a %d %b %Y")
    return parsed.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")


def _due(value: Any) -> Markup | str:
    """An agreed day (the deadline, a milestone's due date): due by its end (UTC, the server's clock),
    shown in the viewer's zone with the zone named."""
    parsed = _parse(value)
    if parsed is None:
        return "—"
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    moment = due_at(day)
    return _time(_iso(moment), "deadline", moment.strftime("%a %d %b %Y, %H:%M UTC"))


def _due_iso(value: Any) -> str:
    """The moment an agreed day ends, as ISO 8601 UTC (for scripts: countdowns)."""
    parsed = _parse(value)
    if parsed is None:
        return ""
    return _iso(due_at(parsed.date() if isinstance(parsed, datetime) else parsed))


def _parts(value: Any) -> Markup | str:
    """A text made of parts (domain/agreement.py's diff rows): strings as text, days as due dates."""
    if isinstance(value, (list, tuple)):
        return Markup("").join(_due(p) if isinstance(p, date) else escape(p) for p in value)
    if isinstance(value, date):
        return _due(value)
    return value


def _overdue(milestone: dict[str, Any] | None) -> dict[str, Any]:
    """When a milestone (a dict with `due` and `state`) is or becomes overdue: the server's rule."""
    from workspace.services.views import overdue_view

    if not milestone or not milestone.get("due"):
        return {"overdue": False, "overdue_at": None}
    return overdue_view(date.fromisoformat(str(milestone["due"])), str(milestone.get("state")))


def _duration(seconds: int | None) -> str:
    """3h 10m style, for people."""
    if not seconds:
        return "0 min"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min" if minutes else "under a minute"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _clock(value: Any) -> Markup | str:
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return "—"
    return _time(_iso(parsed), "time", parsed.astimezone(timezone.utc).strftime("%H:%M UTC"))


def _interval(seconds: int) -> str:
    """600 -> '10 min', 5 -> '5 s'."""
    return f"{seconds} s" if seconds < 60 else f"{round(seconds / 60)} min"
