"""GET /cameras and GET /stats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


def test_cameras_show_status_last_frame_and_open_events(client, store, seeded, as_key):
    store.record_camera_status("gate", "online", datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    cameras = {c["id"]: c for c in client.get("/api/v1/cameras", headers=as_key("viewer")).json()}
    assert set(cameras) == {"gate", "crane", "yard"}
    assert (
        cameras["gate"]["status"] == "online" and cameras["gate"]["last_frame_at"] == "2026-03-03T08:00:00Z"
    )
    assert cameras["gate"]["open_events"] == 2 and cameras["crane"]["open_events"] == 0
    assert cameras["yard"]["status"] == "unknown" and cameras["yard"]["last_frame_at"] is None
    assert cameras["crane"]["last_event_at"] == "2026-03-03T09:00:00Z"


RANGE = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-04T00:00:00Z"}


def test_stats_count_per_day_site_camera_type(client, seeded, as_key):
    stats = client.get("/api/v1/stats", params=RANGE, headers=as_key("viewer")).json()
    assert stats["total"] == 5
    assert stats["by_day"] == [{"day": "2026-03-02", "count": 3}, {"day": "2026-03-03", "count": 2}]
    assert stats["by_site"] == [{"key": "north", "count": 3}, {"key": "south", "count": 2}]
    assert {c["key"]: c["count"] for c in stats["by_camera"]} == {"gate": 2, "crane": 1, "yard": 2}
    assert {c["key"]: c["count"] for c in stats["by_type"]} == {"no_helmet": 4, "out_of_hours": 1}


def test_stats_leave_out_false_positives_unless_asked(client, seeded, as_key):
    client.patch(
        f"/api/v1/events/{seeded.north_event}", json={"triage": "false_positive"}, headers=as_key("operator")
    )
    assert client.get("/api/v1/stats", params=RANGE, headers=as_key("viewer")).json()["total"] == 4
    params = {**RANGE, "include_false_positives": "true"}
    assert client.get("/api/v1/stats", params=params, headers=as_key("viewer")).json()["total"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-04T00:00:00Z", "to": "2026-03-02T00:00:00Z"},
        {"from": "1900-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        # No 'from': its default, 7 days before 'to', is before year 1 (found by schemathesis).
        {"to": "0001-01-01T00:38:43Z"},
    ],
)
def test_stats_refuse_bad_ranges(client, as_key, params):
    response = client.get("/api/v1/stats", params=params, headers=as_key("viewer"))
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_range"


@pytest.mark.parametrize(
    ("path", "params", "bad"),
    [
        ("/api/v1/stats", {"to": "9999-12-31T23:00:00-05:00"}, "to"),
        ("/api/v1/stats", {"from": "0001-01-01T00:00:00+05:00", "to": "0001-01-02T00:00:00Z"}, "from"),
        ("/api/v1/events", {"from": "9999-12-31T23:00:00-05:00"}, "from"),
        ("/api/v1/events", {"to": "0001-01-01T00:00:00+05:00"}, "to"),
    ],
)
def test_times_that_do_not_exist_in_utc_are_refused_naming_the_parameter(client, as_key, path, params, bad):
    # Valid ISO 8601 with an offset, but before year 1 or after 9999 once in UTC,
    # which is how the store compares times: a 422, not a 500.
    response = client.get(path, params=params, headers=as_key("viewer"))
    assert response.status_code == 422
    assert f"query.{bad}" in response.json()["error"]["message"]
