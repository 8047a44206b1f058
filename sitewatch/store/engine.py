"""Engines for SQLite (default) and PostgreSQL, and the migrations applied on start."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from sitewatch.redact import redact_query
from sitewatch.store.errors import StoreError, StoreUnusable, make_folder

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"



class StoreUrlError(StoreError, ValueError):
    """A database URL that cannot be used; the message never contains the password."""


def parse_url(url: str | URL) -> URL:
    """Normalise a user-given URL: plain ``postgresql://`` means psycopg 3."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):
        # ValueError: a port that is not a number, an unclosed [IPv6 address]. Its text
        # quotes pieces of the URL, so it is not passed on.
        raise StoreUrlError(
            "invalid database URL (expected sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed
    raise StoreUrlError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://USER@HOST/DB")


def safe_url(url: str | URL) -> str:
    """The URL for messages and logs: password masked, in the user part and in the query."""
    try:
        parsed = parse_url(url)
    except StoreUrlError:
        return "<invalid database URL>"
    # render_as_string(hide_password=True) masks only the user part's password, and it would
    # percent-encode a mask put into the query: render the query here.
    shown = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = redact_query(
        (key, value)
        for key, values in parsed.query.items()
        for value in (values if isinstance(values, tuple) else (values,))
    )
    return f"{shown}?{urlencode(pairs, safe='*')}" if pairs else shown


def sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def make_engine(url: str | URL) -> Engine:
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if path is not None:
            make_folder(path.parent, f"the folder of database file {path}")
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
        _check_schema_is_ours(connection, config, safe_url(engine.url))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _check_schema_is_ours(connection: Connection, config: Config, shown: str) -> None:
    """Refuse, with a message that says why, a database that the migrations cannot take up."""
    from sitewatch.store.models import Base

    # A newer sitewatch's revision is unknown here; alembic would only say "Can't locate revision".
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    for revision in current:
        if revision not in known:
            raise StoreUnusable(
                f"database {shown} was written by a newer sitewatch (schema revision {revision}); "
                "upgrade sitewatch or use another database"
            )
    # Our table names without our revision: another program's tables, which creating ours would
    # fail on ("table events already exists", which for SQLite reads like an outage).
    if not current:
        clashing = sorted(set(inspect(connection).get_table_names()) & set(Base.metadata.tables))
        if clashing:
            raise StoreUnusable(
                f"database {shown} has tables named like sitewatch's ({', '.join(clashing)}) "
                "but no sitewatch schema revision: they belong to something else; use another database"
            )
