"""Opening the store: every problem a user can cause is a ``StoreError`` with a clear message, no password."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

from sitewatch.store import StoreUnavailable, StoreUnusable, StoreUrlError, open_store
from sitewatch.store.engine import make_engine, migrate, safe_url

SECRET = "hunter2-secret"


# Every way libpq and psycopg take a password from a URL (user part, ``password`` and
# ``sslpassword`` parameters, a whole connection string in ``conninfo``), and look-alikes.
SECRET_URLS = [
    f"postgresql://bob:{SECRET}@db.example/sw",
    f"postgresql://bob@db.example/sw?password={SECRET}",
    f"postgresql://bob@db.example/sw?sslpassword={SECRET}",
    f"postgresql://bob@db.example/sw?conninfo=password%3D{SECRET}",
    f"postgresql://bob@db.example/sw?PASSWORD={SECRET}&sslmode=require",
    f"postgresql://bob@db.example/sw?dsn=password%3D{SECRET}",
    f"postgresql://bob@db.example/sw?api_token={SECRET}&host=a&host=b",
    f"postgresql+psycopg://bob@db.example/sw?pwd={SECRET}",
]


@pytest.mark.parametrize("url", SECRET_URLS)
def test_safe_url_never_shows_a_secret(url):
    shown = safe_url(url)
    assert SECRET not in shown
    assert "db.example/sw" in shown


def test_safe_url_keeps_the_harmless_query():
    assert safe_url("postgresql://bob@h/sw?password=x&sslmode=require") == (
        "postgresql+psycopg://bob@h/sw?password=***&sslmode=require"
    )


def test_display_url_masks_a_password_in_the_query(pg_url, tmp_path):
    # The server trusts local connections, so these are accepted and ignored.
    store = open_store(f"{pg_url}?password={SECRET}&sslpassword={SECRET}", tmp_path / "ev")
    try:
        assert SECRET not in store.display_url and "password=***" in store.display_url
    finally:
        store.close()


# the first four are the ones libpq accepts
@pytest.mark.parametrize("url", [u.replace("db.example", "127.0.0.1:1") for u in SECRET_URLS[:4]])
def test_unreachable_database_message_never_shows_a_secret(url):
    with pytest.raises(StoreUnavailable) as info:
        open_store(url)
    assert SECRET not in str(info.value) and "127.0.0.1:1" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bob:{SECRET}@127.0.0.1:notaport/db",
        f"postgresql://bob:{SECRET}@[::1/db",
    ],
)
def test_unparseable_urls_are_a_url_error(url):
    with pytest.raises(StoreUrlError) as info:
        open_store(url)
    assert "invalid database URL" in str(info.value) and SECRET not in str(info.value)


def test_an_option_the_driver_refuses_is_a_url_error_without_its_value():
    with pytest.raises(StoreUrlError) as info:
        open_store(f"postgresql://bob:{SECRET}@127.0.0.1:1/db?dsn=password%3D{SECRET}")
    assert "invalid database URL" in str(info.value) and SECRET not in str(info.value)


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text("cameras: []\n" * 100)
    with pytest.raises(StoreUnusable) as info:
        open_store(f"sqlite:///{path}", tmp_path / "ev")
    assert str(path) in str(info.value) and "not a database" in str(info.value)


def test_a_file_in_the_way_of_the_database_folder(tmp_path):
    blocker = tmp_path / "site.yaml"
    blocker.write_text("x")
    with pytest.raises(StoreUnusable) as info:
        open_store(f"sqlite:///{blocker}/sw.db", tmp_path / "ev")
    assert f"{blocker} is a file" in str(info.value)


@pytest.mark.parametrize("under", ["", "deeper"])
def test_a_file_in_the_way_of_the_evidence_folder(tmp_path, under):
    blocker = tmp_path / "site.yaml"
    blocker.write_text("x")
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    with pytest.raises(StoreUnusable) as info:
        open_store(url, blocker / under if under else blocker)
    assert "evidence folder" in str(info.value) and f"{blocker} is a file" in str(info.value)
    # what needs no evidence (API keys) still opens, and leaves the folder alone
    open_store(url, blocker / "ev", create_evidence_dir=False).close()


def test_a_database_from_a_newer_sitewatch(db_url, tmp_path):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreUnusable) as info:
        open_store(db_url, tmp_path / "ev")
    assert "newer sitewatch (schema revision 9999)" in str(info.value)
    assert "upgrade sitewatch or use another database" in str(info.value)


def test_another_programs_events_table(db_url, tmp_path):
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)"))
    finally:
        engine.dispose()
    with pytest.raises(StoreUnusable) as info:
        open_store(db_url, tmp_path / "ev")
    assert "(events)" in str(info.value) and "another database" in str(info.value)
    assert "reach" not in str(info.value)


def test_sqlite_problems_name_the_file_rather_than_an_outage(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(StoreUnusable) as info:
        open_store(f"sqlite:///{folder}", tmp_path / "ev")
    assert str(folder) in str(info.value) and "reach" not in str(info.value)


def test_sqlite_file_with_other_tables_only_is_taken_up(tmp_path):
    # Tables of other names do not clash: sitewatch's go beside them.
    path = tmp_path / "shared.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (x)")
    open_store(f"sqlite:///{path}", tmp_path / "ev").close()
