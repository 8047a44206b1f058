"""Fixtures for the CLI tests: a port in use, a config whose evidence folder cannot be made."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def broken_evidence_config(tmp_path) -> Path:
    """A config with a good SQLite store whose evidence folder would go under a regular file."""
    (tmp_path / "site.yaml").write_text("x")
    config = tmp_path / "sw.yaml"
    store = {"url": f"sqlite:///{tmp_path / 'sw.db'}", "evidence_dir": str(tmp_path / "site.yaml" / "ev")}
    config.write_text(yaml.safe_dump({"store": store}))
    return config
