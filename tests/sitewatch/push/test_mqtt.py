"""MQTT publishing against a real mosquitto broker: QoS 1, one topic per site and camera."""

from __future__ import annotations

import json
import random
import threading
import time

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from sitewatch.config.push import MqttSettings, PushSettings
from sitewatch.push import PushService
from sitewatch.push.mqtt import MqttPublisher, topic_for, topic_level
from sitewatch.push.queue import RetryPolicy
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store.models import Delivery


class Subscriber:
    def __init__(self, port: int, topic: str):
        self.messages: list[tuple[str, dict, int]] = []
        self._got = threading.Condition()
        self._ready = threading.Event()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="test-sub")
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self._ready.wait(10), "subscription not acknowledged"

    def _on_message(self, _client, _userdata, message) -> None:
        with self._got:
            self.messages.append((message.topic, json.loads(message.payload), message.qos))
            self._got.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        with self._got:
            self._got.wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def subscriber(mosquitto):
    sub = Subscriber(mosquitto.port, "sitewatch/sites/+/cameras/+/events")
    yield sub
    sub.close()


def _worker(store, port: int, clock) -> DeliveryWorker:
    settings = MqttSettings(host="127.0.0.1", port=port, client_id="sitewatch-test", publish_timeout_s=5)
    policy = RetryPolicy(backoff_base_s=1, backoff_cap_s=10, max_age_s=3600)
    return DeliveryWorker(store, MqttPublisher(settings), policy, clock=clock, rng=random.Random(3))


def test_events_are_published_per_site_and_camera(store, mosquitto, subscriber, clock, change_factory):
    store.apply(
        [change_factory(source="gate", site_id="north"), change_factory(source="crane/2", site_id="south")]
    )
    store.apply([change_factory("closed", source="gate", site_id="north", end_s=6)])
    worker = _worker(store, mosquitto.port, clock)
    try:
        while worker.run_once().delivered:
            pass
    finally:
        worker.stop()
    messages = subscriber.wait_for(3)
    assert sorted((t, m["change"]) for t, m, _ in messages) == [
        ("sitewatch/sites/north/cameras/gate/events", "closed"),
        ("sitewatch/sites/north/cameras/gate/events", "opened"),
        ("sitewatch/sites/south/cameras/crane_2/events", "opened"),
    ]
    assert {qos for *_, qos in messages} == {1}
    with store.session() as session:
        assert {d.status for d in session.scalars(select(Delivery))} == {"delivered"}


def test_broker_down_then_up_delivers_everything(store, mosquitto, clock, change_factory):
    store.apply([change_factory(source=f"cam-{i}") for i in range(3)])
    mosquitto.stop()
    worker = _worker(store, mosquitto.port, clock)
    try:
        assert worker.run_once().failed == 1
        mosquitto.start()
        subscriber = Subscriber(mosquitto.port, "sitewatch/#")
        try:
            for _ in range(50):
                clock.advance(11)
                worker.run_once()
                with store.session() as session:
                    if not session.scalars(select(Delivery).where(Delivery.status != "delivered")).first():
                        break
                time.sleep(0.1)  # paho reconnects in its own thread
            assert len({m["idempotency_key"] for _, m, _ in subscriber.wait_for(3)}) == 3
        finally:
            subscriber.close()
    finally:
        worker.stop()


@pytest.mark.parametrize(
    ("value", "level"), [("gate", "gate"), ("a/b", "a_b"), ("+", "_"), ("#x", "_x"), ("", "_")]
)
def test_ids_cannot_change_the_topic_shape(value, level):
    assert topic_level(value) == level
    assert topic_for("sw", value, value).count("/") == 5


def test_the_last_round_after_stop_publishes(store, mosquitto, subscriber, change_factory):
    # as the service shuts down: workers stop (the connection closes), then one more round
    settings = PushSettings.model_validate(
        {
            "mqtt": {
                "host": "127.0.0.1",
                "port": mosquitto.port,
                "client_id": "sw-last",
                "publish_timeout_s": 5,
            }
        }
    )
    service = PushService.from_settings(store, settings)
    service.start()
    store.apply([change_factory("opened")])
    subscriber.wait_for(1)  # connected and publishing
    service.stop()
    store.apply([change_factory("closed", end_s=5)])
    started = time.monotonic()
    service.run_once()
    assert time.monotonic() - started < 3  # not a publish timeout
    assert [m["change"] for _, m, _ in subscriber.wait_for(2)] == ["opened", "closed"]
    with store.session() as session:
        assert [d.status for d in session.scalars(select(Delivery))] == ["delivered"] * 2
