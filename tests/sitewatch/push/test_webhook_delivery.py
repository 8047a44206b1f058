"""Webhook delivery: at least once, in order per event, signed, through an outage, dead after max age."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from sitewatch.config.push import WebhookTarget
from sitewatch.push.queue import RetryPolicy, due_deliveries, fan_out
from sitewatch.push.signing import verify
from sitewatch.push.webhook import DeliveryFailed, WebhookSender
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store.deliveries import retry_delivery
from sitewatch.store.models import Delivery, OutboxEntry

SECRET = "webhook-secret-for-tests-0123"


def _worker(store, receiver, clock, *, sites=(), max_age_s=3600.0, url=None, timeout_s=2.0):
    target = WebhookTarget(
        name="inspectorate",
        url=url or receiver.url,
        secret=SecretStr(SECRET),
        sites=list(sites),
        timeout_s=timeout_s,
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


def test_a_refused_change_does_not_hold_up_other_events(store, receiver, clock, change_factory):
    receiver.start()
    receiver.refuse = lambda message: 422 if message["event"]["site_id"] == "south" else None
    store.apply([change_factory(source=f"s{i}", site_id="south") for i in range(3)])
    store.apply([change_factory(source="s0", site_id="south", kind="closed", end_s=5)])
    store.apply([change_factory(source=f"n{i}", site_id="north") for i in range(3)])
    worker = _worker(store, receiver, clock)
    try:
        result = worker.run_once()
    finally:
        worker.stop()
    # one round: every event was tried, the refusals did not end it
    assert (result.delivered, result.failed) == (3, 3)
    assert sorted(m["event"]["camera_id"] for m in receiver.messages()) == ["n0", "n1", "n2"]
    # the refused event's later change still waits for the refused one
    assert [json.loads(r["body"])["change"] for r in receiver.received].count("closed") == 0


def test_a_receiver_that_is_down_costs_one_attempt_per_round(store, receiver, clock, change_factory):
    store.apply([change_factory(source=f"cam-{i}") for i in range(5)])
    worker = _worker(store, receiver, clock)  # the receiver is not started: nothing listens
    try:
        result = worker.run_once()
    finally:
        worker.stop()
    assert (result.delivered, result.failed) == (0, 1)


def test_due_changes_are_not_hidden_behind_many_in_backoff(store, receiver, clock, change_factory):
    store.apply([change_factory(source=f"s{i}", site_id="south") for i in range(600)])
    worker = _worker(store, receiver, clock)
    with store.session() as session, session.begin():
        fan_out(session, worker.target, "webhook", (), clock())
        for delivery in session.scalars(select(Delivery)):
            delivery.attempts, delivery.next_attempt_at = 3, clock() + timedelta(hours=1)
    store.apply([change_factory(source="n0", site_id="north")])
    receiver.start()
    try:
        result = worker.run_once()
    finally:
        worker.stop()
    assert (result.fanned_out, result.delivered, result.failed) == (1, 1, 0)
    assert [m["event"]["camera_id"] for m in receiver.messages()] == ["n0"]
    with store.session() as session:
        assert due_deliveries(session, worker.target, clock(), 50) == []


def test_a_drip_fed_answer_cannot_hold_a_send_past_its_timeout(receiver, change_factory):
    receiver.drip_s = 0.2  # ~90 bytes of answer: 18 s, yet no single read waits a whole second
    receiver.start()
    target = WebhookTarget(name="slow", url=receiver.url, secret=SecretStr(SECRET), timeout_s=1)
    sender = WebhookSender(target)
    message = {"idempotency_key": "e.1", "seq": 1, "change": "opened", "occurred_at": None, "event": {}}
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryFailed, match="no answer within 1 s") as failed:
            sender.send(message)
    finally:
        sender.close()
    assert time.monotonic() - started < 2.5
    assert failed.value.target_down


def test_credentials_in_a_target_url_never_reach_the_logs(store, receiver, clock, change_factory, caplog):
    receiver.start()
    url = receiver.url.replace("http://", "http://hookuser:URLPASSWORD@") + "?token=QUERYTOKEN"
    with caplog.at_level(logging.DEBUG):  # sitewatch serve logs at INFO; DEBUG shows more
        worker = _worker(store, receiver, clock, url=url)
        worker.start(poll_s=0.05)
        store.apply([change_factory()])
        try:
            for _ in range(100):
                if receiver.accepted():
                    break
                time.sleep(0.05)
        finally:
            worker.stop()
    assert receiver.accepted()  # the credentials still went to the receiver, as Basic auth and query
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "URLPASSWORD" not in logged and "QUERYTOKEN" not in logged and "hookuser" not in logged
    assert f"delivering to http://127.0.0.1:{receiver.port}/hook" in logged
