"""HTTP edge: pages and the JSON API. Thin: parse, authorize, call a service, render."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from workspace.web import (
        api, api_accounts, api_notifications, auth, dashboard, diary, errors, files, filters, invites,
        notifications, profiles, rooms, security,
    )

    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, dashboard, rooms, diary, invites, files, profiles, notifications, api, api_accounts,
                   api_notifications):
        app.register_blueprint(module.bp)
