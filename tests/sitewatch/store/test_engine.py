"""Database URLs: normalised, refused clearly, and never shown with their password."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from sitewatch.store import StoreUnavailable, StoreUrlError, open_store
from sitewatch.store.engine import parse_url, safe_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///x.db", "sqlite"),
        ("postgresql://u:p@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ],
)
def test_parse_url(url, driver):
    assert parse_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", "oracle://x"])
def test_unusable_urls_are_refused(url):
    with pytest.raises(StoreUrlError):
        parse_url(url)


def test_safe_url_masks_the_password():
    shown = safe_url("postgresql://inspector:hunter2-secret@db.example/sitewatch")
    assert "hunter2-secret" not in shown and "inspector" in shown


def test_unreachable_database_is_a_clear_error_without_password():
    with pytest.raises(StoreUnavailable) as info:
        open_store("postgresql://u:hunter2-secret@127.0.0.1:1/db")
    assert "hunter2-secret" not in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_in_memory_sqlite_works_across_threads(tmp_path):
    import threading

    store = open_store("sqlite://", tmp_path / "ev")
    try:
        errors = []

        def query():
            try:
                with store.session() as session:
                    session.execute(text("SELECT count(*) FROM events"))
            except Exception as exc:  # noqa: BLE001 - any failure in the thread is the finding
                errors.append(exc)

        thread = threading.Thread(target=query)
        thread.start()
        thread.join()
        assert errors == []
    finally:
        store.close()
