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
    # Named after the xdist worker and process that owns it, so a database left behind (or one that a
    # leftover server still uses) says whose it was; the random part keeps runs apart.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"ws_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        # Only this session's database. FORCE (PostgreSQL 13+) ends its connections inside the DROP, so a
        # server process still reconnecting cannot make the DROP fail between terminate and drop.
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis (database 15); tests use their own key namespaces."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        require_service(False, f"Redis at {REDIS_URL} ({exc.__class__.__name__})")
    return REDIS_URL


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

def make_test_app(database_url: str, instance: Path | str, **overrides: Any) -> Any:
    from workspace import create_app

    instance = Path(instance)
    config = {
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-" + uuid.uuid4().hex,
        "SOCKETIO_ASYNC_MODE": "threading", "SERVER_NAME": "localhost", "UPLOAD_DIR": str(instance / "uploads"),
        "MAIL_DIR": str(instance / "mail"),
        **FAST_HASH, **overrides,
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


@pytest.fixture
def world(api: ApiActions, people: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """Ids to aim bad input at: an active job (terms in force) and its first milestone."""
    from tests.money_support import activate

    state = activate(api, people, job)
    return {"job_id": job["id"], "version": 1, "milestone_id": state["milestones"][0]["id"], "payment_id": 1,
            "token": "nope", "invite_id": 1, "message_id": 1, "user_id": people["viewer"]["id"], "session_id": 1,
            "snapshot_id": 1, "token_id": 999, "dispute_id": 1, "proposal_id": 1, "invoice_id": 1}


# ---------------------------------------------------------------- real servers and browsers

def _serve(directory: Path, sqlite_template: Path) -> Any:
    from tests.servers import LiveServer

    db_path = directory / "live.db"
    shutil.copy(sqlite_template, db_path)
    return LiveServer(f"sqlite:///{db_path}", directory).start()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[Any]:
    """`python wsgi.py` (eventlet) on a free port with a fresh, migrated SQLite database."""
    server = _serve(tmp_path, sqlite_template)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Any]:
    """One live server for a whole module whose tests each make their own people and jobs."""
    server = _serve(tmp_path_factory.mktemp("shared"), sqlite_template)
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from tests.support import require_service

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require_service(Path(chromium).exists(), "Chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--auto-select-desktop-capture-source=Entire screen",
            # Peers on one machine: use plain host candidates (no mDNS names to resolve in a sandbox).
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ])
        yield instance
        instance.close()


@pytest.fixture
def contexts(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Make browser contexts (one per person); screenshots of every open page if the test fails."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(viewport=options.pop("viewport", {"width": 1280, "height": 860}), **options)
        context.set_default_timeout(15_000)  # generous: CI machines are shared and slow at times
        made.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for n, context in enumerate(made):
            for m, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-ctx{n}-page{m}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a closed page has nothing to show
                    pass
    for context in made:
        context.close()


# ---------------------------------------------------------------- mail

@pytest.fixture
def mailbox() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free port; point SMTP_URL at `mailbox.url`."""
    from tests.mailbox import Mailbox

    box = Mailbox().start()
    yield box
    box.stop()
