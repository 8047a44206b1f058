"""Build the delivery workers that the ``push:`` config asks for, and run them."""

from __future__ import annotations

from sitewatch.config.push import PushSettings
from sitewatch.push.queue import RetryPolicy
from sitewatch.push.webhook import WebhookSender
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store import Store


class PushService:
    def __init__(self, workers: list[DeliveryWorker], poll_s: float = 1.0):
        self.workers = workers
        self.poll_s = poll_s

    @classmethod
    def from_settings(cls, store: Store, settings: PushSettings) -> PushService:
        hooks = settings.webhooks
        policy = RetryPolicy(hooks.backoff_base_s, hooks.backoff_cap_s, hooks.max_age_s)
        workers = [DeliveryWorker(store, WebhookSender(t), policy, sites=t.sites) for t in hooks.targets]
        if settings.mqtt is not None:
            from sitewatch.push.mqtt import MqttPublisher

            workers.append(DeliveryWorker(store, MqttPublisher(settings.mqtt), policy))
        return cls(workers, hooks.poll_s)

    def run_once(self) -> None:
        for worker in self.workers:
            worker.run_once()

    def start(self) -> None:
        for worker in self.workers:
            worker.start(self.poll_s)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
