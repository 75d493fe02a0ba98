"""Migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from workspace.db import Base, normalize_url


def test_migrated_schema_matches_models(database_url):
    import workspace.models  # noqa: F401

    engine = create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []
