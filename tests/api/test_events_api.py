"""GET/PATCH /events: filters, cursor pagination, snapshots, triage with audit, one error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sitewatch.store.models import AuditEntry, OutboxEntry


def test_list_is_newest_first_with_snapshot_links(client, seeded, as_key):
    items = client.get("/api/v1/events", headers=as_key("viewer")).json()["items"]
    assert len(items) == 5
    starts = [i["start"] for i in items]
    assert starts == sorted(starts, reverse=True)
    assert all(i["snapshot_url"] == f"/api/v1/events/{i['id']}/snapshot" for i in items)
    assert items[-1]["start"] == "2026-03-02T09:00:00Z"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"site_id": "south"}, 2),
        ({"camera_id": "gate"}, 2),
        ({"type": "out_of_hours"}, 1),
        ({"status": "closed"}, 2),
        ({"status": "open", "site_id": "north"}, 2),
        ({"triage": "new"}, 5),
        ({"from": "2026-03-02T10:00:00Z"}, 4),
        ({"from": "2026-03-02T10:00:00Z", "to": "2026-03-03T00:00:00+00:00"}, 2),
        ({"to": "2026-03-02T11:00:00+01:00"}, 1),  # 10:00 UTC, exclusive
    ],
)
def test_filters(client, seeded, as_key, params, expected):
    response = client.get("/api/v1/events", params=params, headers=as_key("viewer"))
    assert response.status_code == 200
    assert len(response.json()["items"]) == expected


def test_cursor_pagination_walks_every_event_once(client, seeded, as_key):
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/events", params=params, headers=as_key("viewer")).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(seeded.all_ids) and len(seen) == len(set(seen))


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"cursor": "garbage!"}, 400, "bad_cursor"),
        ({"cursor": "WzEsMl0"}, 400, "bad_cursor"),
        # Well-formed, but out of range once in UTC: year 1 at +05:00, year 9999 at -05:00.
        ({"cursor": "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzA1OjAwIiwgImEiXQ"}, 400, "bad_cursor"),
        ({"cursor": "WyI5OTk5LTEyLTMxVDIzOjAwOjAwLTA1OjAwIiwgImEiXQ"}, 400, "bad_cursor"),
        ({"from": "2026-03-02T09:00:00Z", "to": "2026-03-02T09:00:00Z"}, 400, "bad_range"),
        ({"from": "2026-03-02T10:00:00"}, 422, "invalid_request"),  # naive time: ambiguous
        ({"type": "smoking"}, 422, "invalid_request"),
        ({"limit": 0}, 422, "invalid_request"),
    ],
)
def test_bad_parameters_get_the_one_error_shape(client, seeded, as_key, params, status, code):
    response = client.get("/api/v1/events", params=params, headers=as_key("viewer"))
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_get_one_and_unknown(client, seeded, as_key):
    event = client.get(f"/api/v1/events/{seeded.south_event}", headers=as_key("viewer")).json()
    assert (
        event["site_id"] == "south"
        and event["camera_id"] == "yard"
        and event["bbox"] == [4.0, 4.0, 30.0, 40.0]
    )
    missing = client.get("/api/v1/events/00000000-0000-0000-0000-000000000000", headers=as_key("viewer"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nowhere", headers=as_key("viewer")).json()["error"]["code"] == "not_found"


def test_snapshot_is_a_jpeg(client, seeded, as_key):
    response = client.get(f"/api/v1/events/{seeded.north_event}/snapshot", headers=as_key("viewer"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg" and response.content[:2] == b"\xff\xd8"


def test_triage_is_stored_audited_and_pushed(client, store, seeded, as_key, keys):
    response = client.patch(
        f"/api/v1/events/{seeded.north_event}",
        json={"triage": "false_positive", "comment": "a worker in a beanie behind glass"},
        headers=as_key("operator"),
    )
    assert response.status_code == 200
    event = response.json()
    assert event["triage"] == "false_positive" and event["revision"] == 2
    assert event["triaged_by"] == keys["operator"].split("_")[1]
    with store.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "event.triage")).one()
        assert audit.entity_id == seeded.north_event and audit.before == {
            "triage": "new",
            "triage_comment": None,
        }
        assert audit.actor == f"key:{keys['operator'].split('_')[1]}"
        last = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        assert last.kind == "triaged" and last.payload["triage"] == "false_positive"
    trail = client.get(
        "/api/v1/audit", params={"entity_id": seeded.north_event}, headers=as_key("admin")
    ).json()
    assert [a["action"] for a in trail["items"]] == ["event.triage"] and trail["next_cursor"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"triage": "deleted"},
        {"comment": "no state"},
        {"triage": "new", "extra": 1},
        {"triage": "new", "comment": "x" * 2001},
    ],
)
def test_bad_triage_bodies(client, seeded, as_key, body):
    response = client.patch(f"/api/v1/events/{seeded.north_event}", json=body, headers=as_key("operator"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_the_audit_log_pages_with_a_cursor(client, seeded, as_key):
    for triage in ("acknowledged", "false_positive", "new"):
        response = client.patch(
            f"/api/v1/events/{seeded.north_event}", json={"triage": triage}, headers=as_key("operator")
        )
        assert response.status_code == 200
    seen, cursor = [], None
    for _ in range(10):
        params = {"entity_id": seeded.north_event, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit", params=params, headers=as_key("admin")).json()
        seen += [entry["after"]["triage"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["new", "false_positive", "acknowledged"], "newest first, each entry once"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/events", {"camera_id": "a\x00b"}),
        ("/api/v1/events", {"site_id": "\x00"}),
        ("/api/v1/events/a%00b", {}),
        ("/api/v1/cameras", {"site_id": "north\x00"}),
        ("/api/v1/stats", {"camera_id": "a\x00"}),
        ("/api/v1/deliveries", {"target": "a\x00"}),
        ("/api/v1/audit", {"entity_id": "a\x00"}),
    ],
)
def test_a_nul_character_in_the_path_or_query_is_a_422(client, seeded, as_key, path, params):
    response = client.get(path, params=params, headers=as_key("admin"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_nul_character_in_a_triage_comment_is_a_422(client, seeded, as_key):
    response = client.patch(
        f"/api/v1/events/{seeded.north_event}",
        json={"triage": "acknowledged", "comment": "a\x00b"},
        headers=as_key("operator"),
    )
    assert response.status_code == 422, response.text


def test_from_at_or_after_to_is_a_bad_range(client, seeded, as_key):
    response = client.get(
        "/api/v1/events",
        params={"from": "2026-03-02T09:00:00Z", "to": "2026-01-01T00:00:00Z"},
        headers=as_key("viewer"),
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_range"
