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
from sitewatch.push.queue import (
    RetryPolicy,
    due_deliveries,
    fan_out,
    mark_delivered,
    mark_failed,
    open_cursor,
)
from sitewatch.push.webhook import DeliveryFailed
from sitewatch.store import Store, is_outage
from sitewatch.store.models import OutboxEntry
from sitewatch.store.payload import change_message
from sitewatch.store.types import utc_now

log = logging.getLogger("sitewatch.push")


class Sender(Protocol):
    name: str
    channel: str
    destination: str  # where it sends to, fit for logs (no password, token or query)

    @property
    def send_timeout_s(self) -> float: ...  # the longest one send takes

    def send(self, message: dict) -> None: ...

    def close(self) -> None: ...


@dataclass
class RoundResult:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    more: bool = False  # the round sent a whole batch: more may be due right away


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
        self._stopped = False
        self._new_at_end = False  # set by start(): a running service's new target skips the history
        self._failing = False

    @property
    def target(self) -> str:
        return self.sender.name

    def run_once(self, stop: threading.Event | None = None) -> RoundResult:
        """One round: fan out, then send what is due; ``stop`` set ends it between two sends.

        After ``stop()`` a round may still be run (the service's last round at shutdown):
        the sender opens again for it and is closed once more at its end.
        """
        try:
            return self._round(stop)
        finally:
            if self._stopped:
                self.sender.close()

    def _round(self, stop: threading.Event | None) -> RoundResult:
        result = RoundResult()
        now = self.clock()
        try:
            with self.store.session() as session, session.begin():
                result.fanned_out = fan_out(
                    session, self.target, self.sender.channel, self.sites, now, new_at_end=self._new_at_end
                )
        except IntegrityError:
            # another process fanned the same entries out first; its rows serve us too
            return result
        with self.store.session() as session:
            due = due_deliveries(session, self.target, now, self.batch)
            result.more = len(due) >= self.batch
            for delivery in due:
                if stop is not None and stop.is_set():
                    result.more = False
                    break
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
                    if exc.target_down:
                        result.more = False
                        self._note_failure(str(exc))
                        # nobody is answering: leave the rest of this round for later
                        # rather than wait out a timeout per change
                        break
                    # only this change was refused; its event's later changes wait for it
                    # (due_deliveries), other events go on
                    if delivery.attempts == 1:
                        log.warning(
                            "push target %s refused change %s (%s); retrying with backoff",
                            self.target,
                            entry.seq,
                            exc,
                        )
                    continue
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
        self._stopped = False
        self._new_at_end = True
        log.info("push target %s: delivering to %s", self.target, self.sender.destination)
        self._open_cursor()
        self._thread = threading.Thread(
            target=self._loop, args=(poll_s,), name=f"push-{self.target}", daemon=True
        )
        self._thread.start()

    def _open_cursor(self) -> None:
        """Before the thread runs, so that no change written after start() is skipped."""
        try:
            with self.store.session() as session, session.begin():
                last_seq = open_cursor(session, self.target)
        except IntegrityError:
            return  # another process opened it at the same moment
        except DBAPIError as exc:
            # the first round opens it once the database is back
            log.warning("push target %s: database unreachable at start (%s)", self.target, type(exc).__name__)
            return
        if last_seq is not None:
            log.info("push target %s is new: it gets the changes after seq %d", self.target, last_seq)

    def _loop(self, poll_s: float) -> None:
        while not self._stop.is_set():
            try:
                result = self.run_once(self._stop)
            except DBAPIError as exc:
                if not is_outage(exc):
                    log.exception("push worker %s: database error", self.target)
                result = RoundResult()
            except Exception:
                log.exception("push worker %s: unexpected error", self.target)
                result = RoundResult()
            # keep going without a pause while there is a backlog that is being accepted, or
            # more due than one round takes (changes refused one by one must not hold up the rest)
            if not (result.more or (result.delivered and not result.failed)):
                self._stop.wait(poll_s)

    def request_stop(self) -> None:
        """Let the current send finish, then start no other."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread, waiting for a send in flight (by default as long as one may take), then close.

        Closing under a send that is still running would record a change the receiver
        took as failed, and send it again later.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.sender.send_timeout_s + 5 if timeout is None else timeout)
            if self._thread.is_alive():
                log.warning("push worker %s did not finish its send in time; closing under it", self.target)
        self._stopped = True
        self.sender.close()
