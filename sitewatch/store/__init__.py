"""The event store: SQLite (default) or PostgreSQL, evidence JPEGs on disk, and the push outbox.

from sitewatch.store import open_store
store = open_store("sqlite:///sitewatch.db")
store.apply(changes)            # idempotent upsert + snapshot + outbox, in one transaction
store.close_dangling(now)       # on start and on shutdown
store.close()
"""

from __future__ import annotations

from pathlib import Path

from sitewatch.store.engine import StoreUrlError, make_engine, migrate, parse_url, safe_url
from sitewatch.store.evidence_files import EvidenceFiles
from sitewatch.store.store import Store, StoreUnavailable, default_evidence_dir, is_outage


def open_store(
    url: str,
    evidence_dir: Path | None = None,
    *,
    buffer_max_changes: int = 10_000,
    retry_interval_s: float = 5.0,
) -> Store:
    """Connect, apply any pending migrations, and return a ready ``Store``.

    Raises ``StoreUrlError`` for a URL that cannot be used and ``StoreUnavailable``
    when the database cannot be reached; neither message contains a password.
    """
    from sqlalchemy.exc import DBAPIError

    parsed = parse_url(url)
    engine = make_engine(parsed)
    try:
        migrate(engine)
    except DBAPIError as exc:
        engine.dispose()
        if is_outage(exc):
            raise StoreUnavailable(f"cannot reach database {safe_url(parsed)}") from None
        raise
    evidence = EvidenceFiles(evidence_dir if evidence_dir is not None else default_evidence_dir(parsed))
    return Store(
        engine,
        evidence,
        display_url=safe_url(parsed),
        buffer_max_changes=buffer_max_changes,
        retry_interval_s=retry_interval_s,
    )


def open_store_from_settings(settings) -> Store:
    """``open_store`` for a ``StoreSettings`` section."""
    return open_store(
        settings.url.get_secret_value(),
        settings.evidence_dir,
        buffer_max_changes=settings.buffer_max_changes,
        retry_interval_s=settings.retry_interval_s,
    )


__all__ = ["Store", "StoreUnavailable", "StoreUrlError", "open_store", "open_store_from_settings"]
