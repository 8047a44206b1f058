"""The push service built from config runs its workers in the background and delivers."""

from __future__ import annotations

import logging
import random
import time

from pydantic import SecretStr
from sqlalchemy import select

from sitewatch.config.push import PushSettings, WebhookTarget
from sitewatch.push import PushService, verify
from sitewatch.push.queue import RetryPolicy
from sitewatch.push.webhook import WebhookSender
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store.models import Delivery, PushCursor

from .conftest import WebhookReceiver, free_port

SECRET = "s" * 24


def _settings(*targets: tuple[str, str], poll_s: float = 0.05) -> PushSettings:
    return PushSettings.model_validate(
        {
            "webhooks": {
                "poll_s": poll_s,
                "targets": [{"name": name, "url": url, "secret": SECRET} for name, url in targets],
            }
        }
    )


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_service_from_settings_delivers_in_the_background(store, receiver, change_factory):
    receiver.start()
    service = PushService.from_settings(store, _settings(("inspectorate", receiver.url)))
    service.start()
    try:
        store.apply([change_factory("opened"), change_factory("opened", source="cam-2")])
        for _ in range(200):  # bounded wait for the background thread
            if len(receiver.accepted()) >= 2:
                break
            time.sleep(0.05)
    finally:
        service.stop()
    accepted = receiver.accepted()
    assert len(accepted) == 2
    for request in accepted:
        headers = request["headers"]
        assert verify(
            SECRET, headers["x-sitewatch-signature"], headers["x-sitewatch-timestamp"], request["body"]
        )


def test_the_last_round_after_stop_delivers(store, receiver, change_factory):
    # as the service shuts down: workers stop, then one more round sends what closing the events wrote
    receiver.start()
    service = PushService.from_settings(store, _settings(("inspectorate", receiver.url)))
    service.start()
    service.stop()
    store.apply([change_factory("closed")])
    service.run_once()
    assert [m["change"] for m in receiver.messages()] == ["closed"]
    store.apply([change_factory("opened", source="cam-2")])
    service.run_once()  # the round closed its connection again, and a later one opens it once more
    assert len(receiver.messages()) == 2


class _BrokenSender(WebhookSender):
    """A sender with a bug: it raises something other than DeliveryFailed."""

    def send(self, message: dict) -> None:
        raise RuntimeError("bug next to http://user:SECRETPW@example.invalid/")


def test_one_failing_target_does_not_stop_the_others_round(store, receiver, change_factory, caplog):
    receiver.start()
    policy = RetryPolicy(1, 10, 3600)

    def worker(sender_class, name: str) -> DeliveryWorker:
        target = WebhookTarget(name=name, url=receiver.url, secret=SecretStr(SECRET))
        return DeliveryWorker(store, sender_class(target), policy, rng=random.Random(0))

    service = PushService([worker(_BrokenSender, "broken"), worker(WebhookSender, "fine")])
    store.apply([change_factory()])
    with caplog.at_level(logging.INFO):
        service.run_once()
    assert len(receiver.messages()) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "webhook:broken" in logged and "RuntimeError" in logged and "SECRETPW" not in logged


def test_stop_lets_the_sends_in_flight_finish_and_starts_no_other(store, change_factory):
    receivers = [WebhookReceiver(free_port()), WebhookReceiver(free_port())]
    for receiver in receivers:
        receiver.delay_s = 1.0
        receiver.start()
    try:
        service = PushService.from_settings(
            store, _settings(("a", receivers[0].url), ("b", receivers[1].url))
        )
        service.start()
        store.apply([change_factory(source=f"cam-{i}") for i in range(30)])
        _wait_for(lambda: all(r.received for r in receivers))
        started = time.monotonic()
        service.stop()
        took = time.monotonic() - started
    finally:
        for receiver in receivers:
            receiver.stop()
    # a whole round of 30 slow answers would take 30 s: stop waits for one answer per target, together
    assert took < 2.5
    with store.session() as session:
        rows = session.scalars(select(Delivery)).all()
    # every change a receiver took is recorded delivered; none was cut off and recorded failed
    assert sum(d.status == "delivered" for d in rows) == sum(len(r.accepted()) for r in receivers)
    assert not [d.last_error for d in rows if d.last_error]


def test_a_new_target_starts_with_the_next_change(store, receiver, change_factory, caplog):
    store.apply([change_factory(source="before")])  # history from before the target was configured
    receiver.start()
    service = PushService.from_settings(store, _settings(("inspectorate", receiver.url)))
    with caplog.at_level(logging.INFO):
        service.start()
    try:
        store.apply([change_factory(source="after")])
        _wait_for(receiver.accepted)
    finally:
        service.stop()
    # changes go out in seq order, so "before" would have come first
    assert [m["event"]["camera_id"] for m in receiver.messages()] == ["after"]
    assert "push target webhook:inspectorate is new: it gets the changes after seq 1" in caplog.text


def test_pending_deliveries_of_a_removed_target_die_at_start(store, receiver, change_factory, caplog):
    # target "old" was down: its deliveries are pending when the config drops it
    old = WebhookTarget(name="old", url=f"http://127.0.0.1:{free_port()}/hook", secret=SecretStr(SECRET))
    worker = DeliveryWorker(store, WebhookSender(old), RetryPolicy(1, 10, 3600))
    store.apply([change_factory(source=f"cam-{i}") for i in range(3)])
    worker.run_once()
    worker.stop()
    receiver.start()
    service = PushService.from_settings(store, _settings(("inspectorate", receiver.url)))
    with caplog.at_level(logging.INFO):
        service.start()
    service.stop()
    with store.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.target == "webhook:old")).all()
        assert session.get(PushCursor, "webhook:old") is None  # configured again, it starts anew
    assert [(d.status, d.last_error) for d in rows] == [("dead", "target no longer configured")] * 3
    assert "push target webhook:old is no longer configured: 3 pending deliveries marked dead" in caplog.text
