"""HTTP edge: pages and the JSON API. Thin: parse, authorize, call a service, render."""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from workspace.domain.ids import ID_MAX


class BoundedInt(IntegerConverter):
    """`<int:...>` in URLs stops at the id columns' range: /milestones/99999999999999999999 is a 404,
    not a database overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    from workspace.web import (
        api, api_accounts, api_notifications, auth, dashboard, diary, errors, files, filters, invites,
        notifications, profiles, rooms, security,
    )

    app.url_map.converters["int"] = BoundedInt  # before any route is added
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, dashboard, rooms, diary, invites, files, profiles, notifications, api, api_accounts,
                   api_notifications):
        app.register_blueprint(module.bp)
