"""Build the delivery workers that the ``push:`` config asks for, and run them."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import DBAPIError

from sitewatch.config.push import PushSettings
from sitewatch.push.queue import RETIRED_ERROR, RetryPolicy, retire_targets
from sitewatch.push.webhook import WebhookSender
from sitewatch.push.worker import DeliveryWorker
from sitewatch.store import Store

log = logging.getLogger("sitewatch.push")


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

    def _each(self, what: str, call) -> None:
        """``call(worker)`` for every worker at once: one slow or failing target holds up no other."""
        if not self.workers:
            return
        with ThreadPoolExecutor(len(self.workers), thread_name_prefix="push") as pool:
            futures = {worker.target: pool.submit(call, worker) for worker in self.workers}
        for target, future in futures.items():
            exc = future.exception()
            if exc is not None:
                # the type only: a message may quote a URL or a database error's parameters
                log.error("push target %s: %s failed (%s)", target, what, type(exc).__name__)

    def run_once(self) -> None:
        """One round for every target; the service's last round at shutdown runs this after stop()."""
        self._each("push round", DeliveryWorker.run_once)

    def start(self) -> None:
        self._retire_old_targets()
        for worker in self.workers:
            worker.start(self.poll_s)

    def stop(self) -> None:
        """Stop every worker together, each after the send it has in flight."""
        for worker in self.workers:
            worker.request_stop()
        self._each("stopping", DeliveryWorker.stop)

    def _retire_old_targets(self) -> None:
        """Pending deliveries of targets no longer configured would wait forever: they die now."""
        if not self.workers:
            return
        try:
            with self.workers[0].store.session() as session, session.begin():
                retired = retire_targets(session, [worker.target for worker in self.workers])
        except DBAPIError as exc:
            log.warning("push: could not check for removed targets at start (%s)", type(exc).__name__)
            return
        for target, dead in retired.items():
            log.warning(
                "push target %s is no longer configured: %d pending deliveries marked dead (%r)",
                target,
                dead,
                RETIRED_ERROR,
            )
