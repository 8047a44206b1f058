"""Webhook delivery: at least once, in order per event, signed, through an outage, dead after max age."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import select

from sitewatch.config.push import WebhookTarget
from sitewatch.push.queue import RetryPolicy
from sitewatch.push.signing import verify
from sitewatch.push.webhook import WebhookSender
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store.deliveries import retry_delivery
from sitewatch.store.models import Delivery, OutboxEntry

SECRET = "webhook-secret-for-tests-0123"


def _worker(store, receiver, clock, *, sites=(), max_age_s=3600.0):
    target = WebhookTarget(
        name="inspectorate", url=receiver.url, secret=SecretStr(SECRET), sites=list(sites), timeout_s=2
    )
    policy = RetryPolicy(backoff_base_s=1.0, backoff_cap_s=30.0, max_age_s=max_age_s)
    return DeliveryWorker(
        store, WebhookSender(target), policy, sites=sites, clock=clock, rng=random.Random(1)
    )


def _apply_life_of_events(store, change_factory, cameras: int) -> None:
    for step, kind in enumerate(("opened", "updated", "closed")):
        store.apply([change_factory(kind, source=f"cam-{i}", end_s=2 + step) for i in range(cameras)])


def _run_until_idle(worker, clock, rounds: int = 400) -> None:
    for _ in range(rounds):
        result = worker.run_once()
        if not result.fanned_out and not result.delivered and not result.failed:
            with worker.store.session() as session:
                if not session.scalars(select(Delivery).where(Delivery.status == "pending")).first():
                    return
        clock.advance(31)  # past the longest backoff
    raise AssertionError("deliveries still pending after the round limit")


def test_receiver_down_then_up_gets_every_change_signed_and_in_order(store, receiver, clock, change_factory):
    _apply_life_of_events(store, change_factory, cameras=4)
    worker = _worker(store, receiver, clock)
    try:
        for _ in range(6):  # the receiver is down: every round fails and backs off
            assert worker.run_once().delivered == 0
            clock.advance(31)
        receiver.start()
        _run_until_idle(worker, clock)
    finally:
        worker.stop()

    with store.session() as session:
        outbox = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        deliveries = session.scalars(select(Delivery)).all()
    expected_keys = {f"{o.event_id}.{o.seq}" for o in outbox}
    accepted = receiver.accepted()
    assert {r["headers"]["idempotency-key"] for r in accepted} >= expected_keys
    for request in accepted:
        headers = request["headers"]
        assert verify(
            SECRET, headers["x-sitewatch-signature"], headers["x-sitewatch-timestamp"], request["body"]
        )
    by_event: dict[str, list[int]] = {}
    for message in receiver.messages():
        by_event.setdefault(message["event"]["id"], []).append(message["seq"])
    assert all(seqs == sorted(seqs) for seqs in by_event.values())
    assert {len(v) for v in by_event.values()} == {3}
    assert {d.status for d in deliveries} == {"delivered"} and any(d.attempts > 1 for d in deliveries)


def test_a_failing_change_holds_back_later_changes_of_the_same_event(store, receiver, clock, change_factory):
    receiver.start()
    receiver.fail_with = 503
    store.apply([change_factory("opened")])
    store.apply([change_factory("closed", end_s=5)])
    worker = _worker(store, receiver, clock)
    try:
        worker.run_once()
        clock.advance(31)
        worker.run_once()
        assert all(r["status"] == 503 for r in receiver.received)
        assert {json.loads(r["body"])["change"] for r in receiver.received} == {"opened"}
        receiver.fail_with = None
        clock.advance(31)
        _run_until_idle(worker, clock)
    finally:
        worker.stop()
    assert [m["change"] for m in receiver.messages()] == ["opened", "closed"]


def test_deliveries_die_after_max_age_and_can_be_retried(store, receiver, clock, change_factory):
    store.apply([change_factory("opened")])
    worker = _worker(store, receiver, clock, max_age_s=60)
    try:
        for _ in range(5):
            worker.run_once()
            clock.advance(31)
        with store.session() as session:
            delivery = session.scalars(select(Delivery)).one()
            assert delivery.status == "dead" and delivery.last_error
        with store.session() as session, session.begin():
            retry_delivery(session, session.get(Delivery, delivery.id), actor="key:test")
        receiver.start()
        clock.now = datetime.now(UTC)  # the retry reset its schedule to real time
        _run_until_idle(worker, clock)
    finally:
        worker.stop()
    with store.session() as session:
        assert session.get(Delivery, delivery.id).status == "delivered"
    assert len(receiver.messages()) == 1


def test_target_limited_to_sites_only_gets_those(store, receiver, clock, change_factory):
    receiver.start()
    store.apply([change_factory(source="a", site_id="north"), change_factory(source="b", site_id="south")])
    worker = _worker(store, receiver, clock, sites=["south"])
    try:
        _run_until_idle(worker, clock)
    finally:
        worker.stop()
    assert [m["event"]["site_id"] for m in receiver.messages()] == ["south"]
