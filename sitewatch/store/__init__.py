"""The event store: SQLite (default) or PostgreSQL, evidence JPEGs on disk, and the push outbox.

from sitewatch.store import open_store
store = open_store("sqlite:///sitewatch.db")
store.apply(changes)            # idempotent upsert + snapshot + outbox, in one transaction
store.close_dangling(now)       # on start and on shutdown
store.close()
"""

from __future__ import annotations

from pathlib import Path

from sitewatch.store.engine import StoreUrlError, make_engine, migrate, parse_url, safe_url, sqlite_file
from sitewatch.store.errors import StoreError, StoreUnusable
from sitewatch.store.evidence_files import EvidenceFiles
from sitewatch.store.store import Store, StoreUnavailable, default_evidence_dir, is_outage


def open_store(
    url: str,
    evidence_dir: Path | None = None,
    *,
    buffer_max_changes: int = 10_000,
    retry_interval_s: float = 5.0,
    create_evidence_dir: bool = True,
) -> Store:
    """Connect, apply any pending migrations, and return a ready ``Store``.

    Raises a ``StoreError`` for anything the user can fix: ``StoreUrlError`` for a URL
    that cannot be used, ``StoreUnavailable`` when the database cannot be reached,
    ``StoreUnusable`` when it (or the evidence folder) is there but cannot be used.
    No message contains a password. ``create_evidence_dir=False`` is for commands
    that never touch snapshots (``sitewatch keys``): the folder is neither created nor checked.
    """
    from sqlalchemy.exc import DBAPIError

    parsed = parse_url(url)
    engine = make_engine(parsed)
    try:
        migrate(engine)
        evidence = EvidenceFiles(
            evidence_dir if evidence_dir is not None else default_evidence_dir(parsed),
            create=create_evidence_dir,
        )
    except DBAPIError as exc:
        engine.dispose()
        raise _open_error(parsed, exc) from None
    except BaseException:
        engine.dispose()
        raise
    return Store(
        engine,
        evidence,
        display_url=safe_url(parsed),
        buffer_max_changes=buffer_max_changes,
        retry_interval_s=retry_interval_s,
    )


def _open_error(parsed, exc) -> StoreError:
    """What to tell the user about a database error while opening the store."""
    shown = safe_url(parsed)
    if parsed.get_backend_name() == "sqlite":
        # There is no server to be down: SQLite's own words (not a database, locked, unreadable)
        # say what is wrong with the file, and they hold no secret.
        path = sqlite_file(parsed)
        where = f"database file {path}" if path is not None else f"database {shown}"
        said = str(exc.orig).splitlines() or [type(exc.orig).__name__]
        return StoreUnusable(f"cannot use {where}: {said[0]}")
    if is_outage(exc):
        return StoreUnavailable(f"cannot reach database {shown}")
    diag = getattr(exc.orig, "diag", None)
    if getattr(exc.orig, "sqlstate", None) and diag is not None and diag.message_primary:
        # The server's words (permission denied, ...) never contain the client's password.
        return StoreUnusable(f"cannot use database {shown}: {diag.message_primary}")
    # The driver's own words may quote the connection string, password included.
    return StoreUrlError(
        f"invalid database URL {shown}: the PostgreSQL driver refused it ({type(exc.orig).__name__})"
    )


def open_store_from_settings(settings, *, create_evidence_dir: bool = True) -> Store:
    """``open_store`` for a ``StoreSettings`` section."""
    return open_store(
        settings.url.get_secret_value(),
        settings.evidence_dir,
        buffer_max_changes=settings.buffer_max_changes,
        retry_interval_s=settings.retry_interval_s,
        create_evidence_dir=create_evidence_dir,
    )


__all__ = [
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoreUnusable",
    "StoreUrlError",
    "open_store",
    "open_store_from_settings",
]
