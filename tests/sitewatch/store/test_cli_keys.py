"""``sitewatch keys``: the key is printed once, alone on the last line, and works."""

from __future__ import annotations

from typer.testing import CliRunner

from sitewatch.cli import app
from sitewatch.store import open_store
from sitewatch.store.keys import Role, verify_key


def test_keys_create_prints_the_key_alone_on_the_last_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(app, ["keys", "create", "--db", url, "--role", "operator", "--site", "north"])
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("sw_") and " " not in last
    store = open_store(url)
    try:
        with store.session() as session:
            principal = verify_key(session, last)
        assert principal.role is Role.OPERATOR and principal.sites == {"north"}
    finally:
        store.close()
    listed = CliRunner().invoke(app, ["keys", "list", "--db", url])
    assert listed.exit_code == 0 and last.split("_", 2)[2] not in listed.output


def test_keys_create_with_a_bad_role_or_url_is_a_user_error(tmp_path):
    bad_role = CliRunner().invoke(
        app, ["keys", "create", "--db", f"sqlite:///{tmp_path}/x.db", "--role", "root"]
    )
    assert bad_role.exit_code == 2
    bad_url = CliRunner().invoke(
        app, ["keys", "create", "--db", "mysql://u:topsecret@h/db", "--role", "viewer"]
    )
    assert bad_url.exit_code == 2
    assert "error:" in bad_url.output and "topsecret" not in bad_url.output
    assert "Traceback" not in bad_url.output
