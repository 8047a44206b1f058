"""Deliveries through the API: dead ones are visible and can be queued again (audited)."""

from __future__ import annotations

from sqlalchemy import func, select

from sitewatch.store.models import AuditEntry, Delivery
from sitewatch.store.types import utc_now


def _add(store, event_id: str, status: str, site: str = "north", target: str = "webhook:inspectorate") -> int:
    with store.session() as session, session.begin():
        # one delivery per outbox entry and target: take the next seq not yet used
        seq = (session.scalar(select(func.max(Delivery.outbox_seq))) or 0) + 1
        delivery = Delivery(
            target=target,
            channel="webhook",
            outbox_seq=seq,
            event_id=event_id,
            site_id=site,
            status=status,
            attempts=7,
            next_attempt_at=utc_now(),
            age_from=utc_now(),
            last_error="HTTP 503",
        )
        session.add(delivery)
        session.flush()
        return delivery.id


def test_dead_deliveries_are_listed_and_retryable(client, store, seeded, as_key):
    _add(store, seeded.north_event, "delivered")  # an earlier change of the event
    dead = _add(store, seeded.north_event, "dead")
    listed = client.get("/api/v1/deliveries", params={"status": "dead"}, headers=as_key("operator")).json()
    assert [d["id"] for d in listed["items"]] == [dead] and listed["items"][0]["last_error"] == "HTTP 503"
    retried = client.post(f"/api/v1/deliveries/{dead}/retry", headers=as_key("operator"))
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0  # backoff starts again from its base
    with store.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "delivery.retry")).one()
        assert audit.entity_id == str(dead) and audit.before["status"] == "dead"


def test_delivered_cannot_be_retried(client, store, seeded, as_key):
    done = _add(store, seeded.north_event, "delivered")
    response = client.post(f"/api/v1/deliveries/{done}/retry", headers=as_key("operator"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_delivered"


def test_delivery_pages(client, store, seeded, as_key):
    ids = [_add(store, seeded.north_event, "pending") for _ in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/deliveries", params=params, headers=as_key("operator")).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)


def test_pending_cannot_be_retried(client, store, seeded, as_key):
    pending = _add(store, seeded.north_event, "pending")
    response = client.post(f"/api/v1/deliveries/{pending}/retry", headers=as_key("operator"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_pending"


def test_a_dead_change_superseded_at_its_target_cannot_be_retried(client, store, seeded, as_key):
    dead = _add(store, seeded.north_event, "dead")
    _add(store, seeded.north_event, "delivered", target="webhook:other")  # another target: no matter
    assert client.post(f"/api/v1/deliveries/{dead}/retry", headers=as_key("operator")).status_code == 200
    with store.session() as session, session.begin():
        session.get(Delivery, dead).status = "dead"
    _add(store, seeded.north_event, "delivered")  # a later change of the event reached the same target
    response = client.post(f"/api/v1/deliveries/{dead}/retry", headers=as_key("operator"))
    assert response.status_code == 409 and response.json()["error"]["code"] == "superseded"
    with store.session() as session:
        assert session.get(Delivery, dead).status == "dead"
