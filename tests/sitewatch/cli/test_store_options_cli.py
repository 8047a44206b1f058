"""``--db``, SITEWATCH_DB and ``store:`` in a config: a database a user gets wrong is one line and exit 2.

Run through ``sitewatch keys list``, the simplest command that opens the store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sitewatch.cli import app

runner = CliRunner()
SECRET = "hunter2-secret"


def assert_one_error_line(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and SECRET not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://bob:{SECRET}@127.0.0.1:1/db",
        f"postgresql://bob@127.0.0.1:1/db?password={SECRET}",
        f"postgresql://bob@127.0.0.1:1/db?sslpassword={SECRET}",
        f"postgresql://bob@127.0.0.1:1/db?conninfo=password%3D{SECRET}",
        f"postgresql://bob@127.0.0.1:1/db?dsn=password%3D{SECRET}",
    ],
)
def test_the_error_line_never_shows_a_secret(url):
    assert_one_error_line(runner.invoke(app, ["keys", "list", "--db", url]), "127.0.0.1:1")


def _not_a_database(tmp_path: Path) -> str:
    path = tmp_path / "site.yaml"
    path.write_text("cameras: []\n" * 100)
    return f"sqlite:///{path}"


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "site.yaml").write_text("x")
    return f"sqlite:///{tmp_path / 'site.yaml' / 'sw.db'}"


def _newer_schema(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    assert runner.invoke(app, ["keys", "list", "--db", url]).exit_code == 0
    with sqlite3.connect(tmp_path / "newer.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    return url


def _other_events_table(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY)")
    return f"sqlite:///{tmp_path / 'other.db'}"


BAD_DATABASES = [
    (lambda _: f"postgresql://bob:{SECRET}@127.0.0.1:notaport/db", "invalid database URL"),
    (lambda _: f"postgresql://bob:{SECRET}@[::1/db", "invalid database URL"),
    (_not_a_database, "site.yaml: file is not a database"),
    (_under_a_file, "site.yaml is a file"),
    (_newer_schema, "newer sitewatch (schema revision 9999)"),
    (_other_events_table, "tables named like sitewatch's (events)"),
]
IDS = ["port", "ipv6", "not-a-database", "under-a-file", "newer-schema", "other-events-table"]


@pytest.mark.parametrize(("make", "message"), BAD_DATABASES, ids=IDS)
def test_bad_database_given_with_db(tmp_path, make, message):
    assert_one_error_line(runner.invoke(app, ["keys", "list", "--db", make(tmp_path)]), message)


@pytest.mark.parametrize(("make", "message"), BAD_DATABASES[:3], ids=IDS[:3])
def test_bad_database_given_in_the_environment(tmp_path, make, message):
    result = runner.invoke(app, ["keys", "list"], env={"SITEWATCH_DB": make(tmp_path)})
    assert_one_error_line(result, message)


@pytest.mark.parametrize(("make", "message"), BAD_DATABASES[:3], ids=IDS[:3])
def test_bad_database_given_in_a_config(tmp_path, make, message):
    config = tmp_path / "sw.yaml"
    config.write_text(yaml.safe_dump({"store": {"url": make(tmp_path)}}))
    assert_one_error_line(runner.invoke(app, ["keys", "list", "--config", str(config)]), message)


def test_keys_need_no_evidence_folder(broken_evidence_config):
    # A broken evidence folder is the business of the commands that store or serve snapshots.
    config = broken_evidence_config
    result = runner.invoke(app, ["keys", "create", "--role", "viewer", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["keys", "list", "--config", str(config)]).exit_code == 0
