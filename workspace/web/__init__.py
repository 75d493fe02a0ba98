"""HTTP edge: pages and the JSON API. Thin: parse, authorize, call a service, render."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from workspace.domain.ids import ID_MAX


class BoundedInt(IntegerConverter):
    """`<int:...>` in URLs stops at the id columns' range: /milestones/99999999999999999999 names no
    row (read as 0, which no id is), so the route answers its own 404 — not a database overflow, and
    not a 405 from the router falling through to a rule with other methods."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= ID_MAX else 0


def init_app(app: Flask) -> None:
    from workspace.web import (
        api, api_accounts, api_disputes, api_dossier, api_history, api_invoices, api_notifications, auth, dashboard,
        diary, errors, files, filters, health, invites, notifications, profiles, rooms, security,
    )

    app.url_map.converters["int"] = BoundedInt  # before any route is added
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, dashboard, rooms, diary, invites, files, profiles, notifications, api, api_accounts,
                   api_notifications, api_history, api_dossier, api_disputes, api_invoices, health):
        app.register_blueprint(module.bp)
