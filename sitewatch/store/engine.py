"""Engines for SQLite (default) and PostgreSQL, and the migrations applied on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StoreUrlError(ValueError):
    """A database URL that cannot be used; the message never contains the password."""


def parse_url(url: str | URL) -> URL:
    """Normalise a user-given URL: plain ``postgresql://`` means psycopg 3."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        raise StoreUrlError(
            "database URL is not valid (expected sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed
    raise StoreUrlError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://USER@HOST/DB")


def safe_url(url: str | URL) -> str:
    """The URL for messages and logs: password masked."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except StoreUrlError:
        return "<invalid database URL>"


def sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def make_engine(url: str | URL) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": 30})
        else:
            # an in-memory database lives in one connection: share it across threads
            engine = create_engine(parsed, connect_args={"check_same_thread": False}, poolclass=StaticPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # The session time zone is pinned so that date grouping (GET /stats) means UTC days;
    # connect_timeout bounds how long a write waits on a server that is down.
    return create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 5},
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: the API reads while a pipeline writes; busy_timeout waits out the brief writer lock.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (from empty, or from any older one)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
