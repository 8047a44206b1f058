"""``sitewatch keys``: site ids that would give a key seeing nothing are refused; ``list`` shows scopes truly."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sitewatch.cli import app
from sitewatch.store import open_store
from sitewatch.store.keys import Role, create_key

CONFIG = (
    "sites:\n"
    "  - {id: north, name: North yard, timezone: Europe/Berlin}\n"
    "  - {id: south, name: South yard, timezone: UTC}\n"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", ""], "--site needs a site id"),
        (["--site", "north", "--site", "  "], "--site needs a site id"),
        (["--site", "nort", "--config", "{config}"], "--site 'nort' is not a site of {config} (its sites: north, south)"),
    ],
)
def test_a_site_the_key_could_never_see_is_refused(tmp_path, args, message):
    config = tmp_path / "site.yaml"
    config.write_text(CONFIG)
    db = tmp_path / "k.db"
    args = [a.format(config=config) for a in args]
    result = CliRunner().invoke(app, ["keys", "create", "--role", "viewer", "--db", f"sqlite:///{db}", *args])
    assert result.exit_code == 2, result.output
    assert message.format(config=config) in result.output and "Traceback" not in result.output
    assert not db.exists(), "refused before the store is opened"


def test_a_site_the_config_defines_is_accepted(tmp_path):
    config = tmp_path / "site.yaml"
    config.write_text(CONFIG)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    args = ["keys", "create", "--role", "viewer", "--site", "south", "--config", str(config), "--db", url]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "\tsouth\t" in CliRunner().invoke(app, ["keys", "list", "--db", url]).output


def test_list_shows_star_only_for_a_key_to_every_site(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.db'}"
    store = open_store(url)
    try:
        with store.session() as session, session.begin():
            create_key(session, Role.VIEWER, sites=[], name="everywhere")
            create_key(session, Role.VIEWER, sites=[""], name="made-before-the-check")
    finally:
        store.close()
    result = CliRunner().invoke(app, ["keys", "list", "--db", url])
    assert result.exit_code == 0, result.output
    rows = {line.split("\t")[4]: line.split("\t")[2] for line in result.output.strip().splitlines()}
    assert rows == {"everywhere": "*", "made-before-the-check": '""'}
