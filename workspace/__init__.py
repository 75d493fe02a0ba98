"""Application factory: config, extensions, blueprints, sockets, CLI, error mapping."""
from __future__ import annotations

import os
import warnings
from typing import Any

from flask import Flask

# eventlet prints a deprecation banner on import; docs/design.md says why we still use it.
warnings.filterwarnings("ignore", message="\nEventlet is deprecated")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; no app exists at import time."""
    from workspace import cli, config, passwords, realtime, web
    from workspace.extensions import db
    from workspace.ratelimit import limiter
    from workspace.realtime.event_context import WorkspaceFlask

    app = WorkspaceFlask(__name__, instance_relative_config=True,
                         instance_path=os.environ.get("WORKSPACE_INSTANCE") or None)
    config.load(app, test_config)
    db.init_app(app)
    limiter.init_app(app)
    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_KIB"],
                        app.config["ARGON2_PARALLELISM"], app.config["HASH_CONCURRENCY"])
    web.init_app(app)
    realtime.init_app(app)
    cli.init_app(app)
    if app.config["PROXY_COUNT"]:
        # Outermost, so pages and the Socket.IO handshake (origin check) both see the client's scheme and host.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app
