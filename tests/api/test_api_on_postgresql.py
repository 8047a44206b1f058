"""The API over a real PostgreSQL server: inputs that SQLite takes quietly and PostgreSQL refuses.

PostgreSQL text cannot hold a NUL character; a query or write carrying one
fails in the driver. The API must answer those with a 4xx before the database
sees them, never a 500.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sitewatch.store.keys import Role, create_key


@pytest.fixture
def pg_client(pg_store, change_factory):
    from sitewatch.api import create_app

    change = change_factory(source="gate", site_id="north")
    pg_store.apply([change])
    with pg_store.session() as session, session.begin():
        key = create_key(session, Role.ADMIN)
    with TestClient(create_app(pg_store), raise_server_exceptions=False) as client:
        yield client, change.event.event_id, {"X-API-Key": key}


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("GET", "/api/v1/events", {"camera_id": "a\x00b"}, None),
        ("GET", "/api/v1/events", {"site_id": "\x00"}, None),
        ("GET", "/api/v1/events/a%00b", {}, None),
        ("GET", "/api/v1/events/stream", {"camera_id": "a\x00"}, None),
        ("GET", "/api/v1/cameras", {"site_id": "a\x00"}, None),
        ("GET", "/api/v1/stats", {"camera_id": "a\x00"}, None),
        ("GET", "/api/v1/deliveries", {"target": "a\x00"}, None),
        ("GET", "/api/v1/audit", {"entity_id": "a\x00"}, None),
        ("PATCH", "/api/v1/events/{event}", {}, {"triage": "acknowledged", "comment": "a\x00b"}),
    ],
)
def test_a_nul_character_is_a_422_not_a_database_error(pg_client, method, path, params, body):
    client, event_id, headers = pg_client
    response = client.request(method, path.format(event=event_id), params=params, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
