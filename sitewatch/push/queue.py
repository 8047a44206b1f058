"""The per-target delivery queue: fan the outbox out into deliveries, pick what is due, record results."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.store.models import Delivery, OutboxEntry, PushCursor

FAN_OUT_BATCH = 1000
SCAN_LIMIT = 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    backoff_base_s: float
    backoff_cap_s: float
    max_age_s: float


def fan_out(session: Session, target: str, channel: str, sites: Collection[str], now: datetime) -> int:
    """Create a delivery for each outbox entry this target has not seen; returns how many.

    The cursor moves in the same transaction as the inserts, so an entry is fanned
    out exactly once per target even across restarts.
    """
    cursor = session.get(PushCursor, target)
    if cursor is None:
        cursor = PushCursor(target=target, last_seq=0)
        session.add(cursor)
    entries = session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.seq > cursor.last_seq)
        .order_by(OutboxEntry.seq)
        .limit(FAN_OUT_BATCH)
    ).all()
    created = 0
    for entry in entries:
        if sites and entry.site_id not in sites:
            continue
        session.add(
            Delivery(
                target=target,
                channel=channel,
                outbox_seq=entry.seq,
                event_id=entry.event_id,
                site_id=entry.site_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                age_from=now,
                created_at=now,
            )
        )
        created += 1
    if entries:
        cursor.last_seq = entries[-1].seq
    return created


def due_deliveries(session: Session, target: str, now: datetime, limit: int) -> list[Delivery]:
    """Pending deliveries that may be sent now, oldest first, at most one per event.

    A delivery waits while an earlier one for the same event is still pending, so a
    receiver sees each event's changes in order.
    """
    pending = session.scalars(
        select(Delivery)
        .where(Delivery.target == target, Delivery.status == "pending")
        .order_by(Delivery.outbox_seq)
        .limit(SCAN_LIMIT)
    ).all()
    blocked: set[str] = set()
    due: list[Delivery] = []
    for delivery in pending:
        if delivery.event_id in blocked:
            continue
        blocked.add(delivery.event_id)
        if delivery.next_attempt_at <= now:
            due.append(delivery)
            if len(due) >= limit:
                break
    return due


def mark_delivered(delivery: Delivery, now: datetime) -> None:
    delivery.status = "delivered"
    delivery.attempts += 1
    delivery.delivered_at = now
    delivery.last_error = None


def mark_failed(delivery: Delivery, error: str, now: datetime, policy: RetryPolicy, delay_s: float) -> None:
    """Schedule another try after ``delay_s``, or give up once the delivery is older than the max age."""
    delivery.attempts += 1
    delivery.last_error = error[:500]
    if (now - delivery.age_from).total_seconds() >= policy.max_age_s:
        delivery.status = "dead"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=delay_s)
