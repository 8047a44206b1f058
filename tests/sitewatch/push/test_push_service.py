"""The push service built from config runs its workers in the background and delivers."""

from __future__ import annotations

import time

from sitewatch.config.push import PushSettings
from sitewatch.push import PushService, verify


def test_service_from_settings_delivers_in_the_background(store, receiver, change_factory):
    receiver.start()
    settings = PushSettings.model_validate(
        {
            "webhooks": {
                "poll_s": 0.05,
                "targets": [{"name": "inspectorate", "url": receiver.url, "secret": "s" * 24}],
            }
        }
    )
    service = PushService.from_settings(store, settings)
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
            "s" * 24, headers["x-sitewatch-signature"], headers["x-sitewatch-timestamp"], request["body"]
        )
