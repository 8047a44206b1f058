"""Fixtures for API tests: a seeded SQLite store, keys for every role (all sites and one site), a client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sitewatch.events import EventType
from sitewatch.store.keys import Role, create_key
from testdata import event_change

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_change(
    kind="opened", source="gate", site_id="north", type_=EventType.NO_HELMET, start_s=0.0, end_s=2.0
):
    start = T0 + timedelta(seconds=start_s)
    return event_change(
        kind, source, type_, start, T0 + timedelta(seconds=end_s),
        site_id=site_id, start_frame=0, end_frame=int(end_s * 10),
        evidence_frame=3, evidence_at=start, evidence_box=(4.0, 4.0, 30.0, 40.0), confidence=0.75,
        image=np.full((48, 64, 3), 120, np.uint8), track_id=1, people=3,
    )


@dataclass
class Seeded:
    north_event: str
    south_event: str
    all_ids: list[str]


def seed(store) -> Seeded:
    changes = [
        make_change(source="gate", site_id="north", start_s=0),
        make_change(source="gate", site_id="north", start_s=3600, end_s=3700),
        make_change(
            "closed",
            source="crane",
            site_id="north",
            type_=EventType.OUT_OF_HOURS,
            start_s=86400,
            end_s=86500,
        ),
        make_change(source="yard", site_id="south", start_s=7200, end_s=7300),
        make_change("closed", source="yard", site_id="south", start_s=90000, end_s=90100),
    ]
    store.apply(changes)
    ids = [c.event.event_id for c in changes]
    return Seeded(north_event=ids[0], south_event=ids[3], all_ids=ids)


@pytest.fixture
def store(tmp_path):
    from sitewatch.store import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'api.db'}", tmp_path / "evidence")
    yield opened
    opened.close()


@pytest.fixture
def pg_store(pg_url, tmp_path):
    """A store on a fresh database of the test session's PostgreSQL server."""
    from sitewatch.store import open_store

    opened = open_store(pg_url, tmp_path / "evidence")
    yield opened
    opened.close()


@pytest.fixture
def seeded(store) -> Seeded:
    return seed(store)


@pytest.fixture
def keys(store) -> dict[str, str]:
    """Keys named '<role>' (all sites) and '<role>@north' (north only)."""
    out = {}
    with store.session() as session, session.begin():
        for role in Role:
            out[str(role)] = create_key(session, role)
            out[f"{role}@north"] = create_key(session, role, sites=["north"])
    return out


@pytest.fixture
def app(store):
    from sitewatch.api import create_app

    return create_app(store)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


@pytest.fixture
def as_key(keys):
    return lambda name: auth(keys[name])


@pytest.fixture
def change_factory():
    return make_change
