"""Migrations from an empty database, on SQLite and PostgreSQL, match the models exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from sitewatch.store.engine import alembic_config, make_engine, migrate
from sitewatch.store.models import Base


def test_migrating_from_empty_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # applying again on start is a no-op
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert diff == []
        assert version == "0001"
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert {"events", "outbox", "deliveries", "audit_log"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
