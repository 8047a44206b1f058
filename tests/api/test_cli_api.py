"""``sitewatch api`` serves the API on its own; a bad database is a one-line user error."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from sitewatch.cli import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sitewatch_api_serves_health_and_refuses_without_key(tmp_path):
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from sitewatch.cli import main; main()",
        "api",
        "--db",
        f"sqlite:///{tmp_path / 'served.db'}",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                health = httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("sitewatch api did not start")
        assert health.json() == {"status": "ok", "database": "ok"}
        denied = httpx.get(f"{base}/api/v1/events", timeout=5)
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)


def test_unreachable_database_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["api", "--db", "postgresql://sw:pw-secret-1@127.0.0.1:1/sw"])
    assert result.exit_code == 2
    assert "pw-secret-1" not in result.output and "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0
