"""``sitewatch api``: a taken port or a broken evidence folder is one line and exit 2, as for ``serve``."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from sitewatch.cli import app

runner = CliRunner()


def test_a_port_in_use_exits_2_before_the_database_is_opened(tmp_path, taken_port):
    db = tmp_path / "sw.db"
    result = runner.invoke(app, ["api", "--db", f"sqlite:///{db}", "--port", str(taken_port)])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: cannot listen on 127.0.0.1:{taken_port}: the port is in use"
    assert not db.exists()


def test_an_evidence_folder_under_a_file_exits_2(broken_evidence_config):
    config = broken_evidence_config
    with socket.socket() as probe:  # a port that is free, so that the evidence folder is what fails
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(app, ["api", "--config", str(config), "--port", str(port)])
    assert result.exit_code == 2, result.output
    assert "evidence folder" in result.output and "site.yaml is a file" in result.output
    assert "Traceback" not in result.output and result.output.strip().count("\n") == 0
