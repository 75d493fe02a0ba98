"""Template filters: money, Markdown, dates; and the values every page needs."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import Flask
from markupsafe import Markup

from workspace.domain.money import format_money, to_major
from workspace.domain.roles import role_label
from workspace.rendering import render_markdown


def init_app(app: Flask) -> None:
    app.add_template_filter(_money, "money")
    app.add_template_filter(_major, "major")
    app.add_template_filter(_markdown, "markdown")
    app.add_template_filter(_day, "day")
    app.add_template_filter(_when, "when")
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


def _day(value: Any) -> str:
    parsed = _parse(value)
    if parsed is None:
        return "—"
    return parsed.strftime("%a %d %b %Y")


def _when(value: Any) -> str:
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return _day(value)
    return parsed.astimezone(timezone.utc).strftime("%d %b %Y, %H:%M UTC")


def _duration(seconds: int | None) -> str:
    """3h 10m style, for people."""
    if not seconds:
        return "0 min"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min" if minutes else "under a minute"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _clock(value: Any) -> str:
    parsed = _parse(value)
    return parsed.strftime("%H:%M") if isinstance(parsed, datetime) else "—"


def _interval(seconds: int) -> str:
    """600 -> '10 min', 5 -> '5 s'."""
    return f"{seconds} s" if seconds < 60 else f"{round(seconds / 60)} min"
