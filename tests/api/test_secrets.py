"""Secrets (API keys, webhook secrets, MQTT and database passwords) never appear in responses or logs."""

from __future__ import annotations

import logging
import random

from fastapi.testclient import TestClient

from sitewatch.config import Settings
from sitewatch.push.queue import RetryPolicy
from sitewatch.push.webhook import WebhookSender
from sitewatch.push.worker import DeliveryWorker


def _secret_part(key: str) -> str:
    return key.split("_", 2)[2]


def test_api_keys_never_come_back(client, seeded, keys, caplog):
    bodies = []
    with caplog.at_level(logging.DEBUG):
        for key in keys.values():
            headers = {"X-API-Key": key}
            for path in (
                "/api/v1/events",
                "/api/v1/cameras",
                "/api/v1/audit",
                "/api/v1/deliveries",
                "/metrics",
                f"/api/v1/events/{seeded.north_event}",
            ):
                bodies.append(client.get(path, headers=headers).text)
            # a key pasted into the wrong field must not be echoed by the validation error
            bodies.append(
                client.patch(
                    f"/api/v1/events/{seeded.north_event}", json={"triage": key}, headers=headers
                ).text
            )
            bodies.append(client.get("/api/v1/events", params={"type": key}, headers=headers).text)
    # the test's own HTTP client logs the URLs it requests; what matters is what the service logs
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for key in keys.values():
        assert all(_secret_part(key) not in body for body in bodies)
        assert _secret_part(key) not in logged


def test_config_secrets_are_hidden_in_reprs_and_push_errors(store, seeded, caplog, tmp_path):
    settings = Settings.model_validate(
        {
            "store": {"url": "postgresql://sw:db-password-123@127.0.0.1:1/sw"},
            "push": {
                "webhooks": {
                    "targets": [
                        {
                            "name": "hook",
                            "url": "http://127.0.0.1:1/hook",
                            "secret": "webhook-secret-456-xxxxxxxx",
                        }
                    ]
                },
                "mqtt": {"host": "127.0.0.1", "port": 1, "username": "sw", "password": "mqtt-password-789"},
            },
        }
    )
    secrets = ["db-password-123", "webhook-secret-456", "mqtt-password-789"]
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert not any(s in shown for s in secrets)

    policy = RetryPolicy(1, 10, 3600)
    target = settings.push.webhooks.targets[0]
    with caplog.at_level(logging.DEBUG):
        worker = DeliveryWorker(store, WebhookSender(target), policy, rng=random.Random(0))
        assert worker.run_once().failed == 1
        worker.stop()
        from sitewatch.push.mqtt import MqttPublisher

        mqtt_worker = DeliveryWorker(store, MqttPublisher(settings.push.mqtt), policy, rng=random.Random(0))
        assert mqtt_worker.run_once().failed == 1
        mqtt_worker.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(s in logged for s in secrets)

    from sitewatch.api import create_app

    from sitewatch.store.keys import Role, create_key

    with store.session() as session, session.begin():
        key = create_key(session, Role.ADMIN)
    with TestClient(create_app(store)) as client:
        deliveries = client.get("/api/v1/deliveries", headers={"X-API-Key": key}).text
    assert "webhook:hook" in deliveries
    assert not any(s in deliveries for s in secrets)
