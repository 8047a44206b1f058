"""Fixtures shared across the test tree: small synthetic videos, a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgserver import pg_server, pg_url  # noqa: F401  (fixtures, for the whole tree)
from testdata import write_video


@pytest.fixture
def small_video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.avi", 30)


@pytest.fixture
def truncated_video(tmp_path: Path) -> Path:
    """A 40-frame MJPG AVI cut off after roughly half of its bytes."""
    full = write_video(tmp_path / "full.avi", 40)
    data = full.read_bytes()
    cut = tmp_path / "truncated.avi"
    cut.write_bytes(data[: len(data) // 2])
    return cut


@pytest.fixture
def not_a_video(tmp_path: Path) -> Path:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    return path
