"""``sitewatch serve``: user errors are one line and exit 2, before any camera or model is touched."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sitewatch.cli import app

runner = CliRunner()
SITE = {"id": "yard", "name": "Yard", "timezone": "UTC"}
CAMERA = {"id": "gate", "site": "yard", "url": "rtsp://user:Hunter2secret@127.0.0.1:9/x"}


def write(tmp_path: Path, config: dict | str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(config if isinstance(config, str) else yaml.safe_dump(config))
    return path


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"sites": [SITE]}, "no cameras"),
        ({"sites": [SITE], "cameras": [{**CAMERA, "site": "nowhere"}]}, "nowhere"),
        ("cameras: [unclosed\n", "error"),
    ],
    ids=["no-cameras", "unknown-site", "broken-yaml"],
)
def test_bad_configs_exit_2_with_a_message(tmp_path, config, message):
    result = runner.invoke(app, ["serve", "--config", str(write(tmp_path, config))])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "Hunter2secret" not in result.output


def test_a_missing_config_file_exits_2(tmp_path):
    result = runner.invoke(app, ["serve", "--config", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2 and "no such configuration file" in result.output


def test_a_port_in_use_exits_2_before_anything_starts(tmp_path, taken_port):
    config = {
        "sites": [SITE],
        "cameras": [CAMERA],
        "store": {"url": f"sqlite:///{tmp_path / 'sw.db'}"},
    }
    path = write(tmp_path, config)
    result = runner.invoke(app, ["serve", "--config", str(path), "--port", str(taken_port)])
    assert result.exit_code == 2, result.output
    assert f"127.0.0.1:{taken_port}" in result.output and "in use" in result.output
    assert not (tmp_path / "sw.db").exists()  # it failed before opening the store
