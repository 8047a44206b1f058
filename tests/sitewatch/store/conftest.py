"""Fixtures for the store tests: event changes, and databases (SQLite files, a real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sitewatch.events import EventChange, EventType
from testdata import event_change

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_change(
    kind: str = "opened",
    source: str = "cam-1",
    type_: EventType = EventType.NO_HELMET,
    start_s: float = 0.0,
    end_s: float = 2.0,
    site_id: str | None = None,
    frame: int = 10,
    confidence: float = 0.8,
    with_image: bool = True,
) -> EventChange:
    start = T0 + timedelta(seconds=start_s)
    return event_change(
        kind, source, type_, start, T0 + timedelta(seconds=end_s),
        site_id=site_id, start_frame=int(start_s * 10), end_frame=int(end_s * 10),
        evidence_frame=frame, evidence_at=start + timedelta(seconds=1), evidence_box=(10.0, 12.0, 60.0, 80.0),
        confidence=confidence,
        image=np.full((96, 128, 3), 90, np.uint8) if with_image else np.zeros((0, 0, 3), np.uint8),
        track_id=7, people=2,
    )


@pytest.fixture
def change_factory():
    return make_change


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url, tmp_path):
    from sitewatch.store import open_store

    opened = open_store(db_url, tmp_path / "evidence", retry_interval_s=0)
    yield opened
    opened.close()
