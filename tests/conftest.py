"""Fixtures are nouns: backend, app, client, api, people, job, live_server, browser."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.support import ApiActions, require_service

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FAST_HASH = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 1024, "ARGON2_PARALLELISM": 1}
ARTIFACTS = Path(__file__).parent / "artifacts"


# ---------------------------------------------------------------- databases

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated with Alembic; each test gets a copy (fast, and it tests migrations)."""
    from workspace.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated with Alembic, dropped at the end."""
    from workspace.migrate import upgrade

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not available"
        require_service(False, f"PostgreSQL at {PG_ADMIN_URL} ({exc.__class__.__name__})")
    name = f"ws_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    from workspace.db import Base
    import workspace.models  # noqa: F401

    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each service/API test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


# ---------------------------------------------------------------- app

def make_test_app(database_url: str, instance: Path, **overrides: Any) -> Any:
    from workspace import create_app

    config = {
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "SOCKETIO_ASYNC_MODE": "threading", "SERVER_NAME": "localhost", **FAST_HASH, **overrides,
    }
    app = create_app(config)
    app.instance_path = str(instance)
    return app


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    app = make_test_app(database_url, tmp_path)
    yield app
    from workspace.extensions import db

    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def api(client: Any) -> ApiActions:
    return ApiActions(client)


@pytest.fixture
def people(api: ApiActions) -> dict[str, Any]:
    """A freelancer, a client, a viewer and an outsider, each with an API token."""
    return {role: api.signup(role) for role in ("freelancer", "client", "viewer", "outsider")}


@pytest.fixture
def job(api: ApiActions, people: dict[str, Any]) -> dict[str, Any]:
    """A job whose client and viewer have joined by invitation (no terms yet)."""
    return api.job_with_members(people)
