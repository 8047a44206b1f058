"""One delivery worker per target: fan out, send what is due in order, record the outcome."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError, IntegrityError

from sitewatch.push.backoff import retry_delay
from sitewatch.push.queue import RetryPolicy, due_deliveries, fan_out, mark_delivered, mark_failed
from sitewatch.push.webhook import DeliveryFailed
from sitewatch.store import Store, is_outage
from sitewatch.store.models import OutboxEntry
from sitewatch.store.payload import change_message
from sitewatch.store.types import utc_now

log = logging.getLogger("sitewatch.push")


class Sender(Protocol):
    name: str
    channel: str

    def send(self, message: dict) -> None: ...

    def close(self) -> None: ...


@dataclass
class RoundResult:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        policy: RetryPolicy,
        *,
        sites: Collection[str] = (),
        batch: int = 50,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ):
        self.store = store
        self.sender = sender
        self.policy = policy
        self.sites = frozenset(sites)
        self.batch = batch
        self.clock = clock
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    @property
    def target(self) -> str:
        return self.sender.name

    def run_once(self) -> RoundResult:
        result = RoundResult()
        now = self.clock()
        try:
            with self.store.session() as session, session.begin():
                result.fanned_out = fan_out(session, self.target, self.sender.channel, self.sites, now)
        except IntegrityError:
            # another process fanned the same entries out first; its rows serve us too
            return result
        with self.store.session() as session:
            for delivery in due_deliveries(session, self.target, now, self.batch):
                entry = session.get(OutboxEntry, delivery.outbox_seq)
                try:
                    self.sender.send(change_message(entry))
                except DeliveryFailed as exc:
                    delay = retry_delay(
                        delivery.attempts + 1, self.policy.backoff_base_s, self.policy.backoff_cap_s, self.rng
                    )
                    mark_failed(delivery, str(exc), self.clock(), self.policy, delay)
                    session.commit()
                    result.failed += 1
                    self._note_failure(str(exc))
                    # the receiver is struggling: leave the rest of this round for later
                    break
                mark_delivered(delivery, self.clock())
                result.delivered += 1
                self._note_success()
                # commit per delivery so a crash mid-round re-sends at most one message
                session.commit()
            session.commit()
        return result

    def _note_failure(self, error: str) -> None:
        if not self._failing:
            self._failing = True
            log.warning("push target %s failing (%s); retrying with backoff", self.target, error)

    def _note_success(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("push target %s delivering again", self.target)

    # -- background thread -----------------------------------------------------
    def start(self, poll_s: float) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(poll_s,), name=f"push-{self.target}", daemon=True
        )
        self._thread.start()

    def _loop(self, poll_s: float) -> None:
        while not self._stop.is_set():
            try:
                result = self.run_once()
            except DBAPIError as exc:
                if not is_outage(exc):
                    log.exception("push worker %s: database error", self.target)
                result = RoundResult()
            except Exception:
                log.exception("push worker %s: unexpected error", self.target)
                result = RoundResult()
            # keep going without a pause while there is a backlog that is being accepted
            if not (result.delivered and not result.failed):
                self._stop.wait(poll_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.sender.close()
