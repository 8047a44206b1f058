"""The per-target delivery queue: fan the outbox out into deliveries, pick what is due, record results."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from sitewatch.store.models import Delivery, OutboxEntry, PushCursor

FAN_OUT_BATCH = 1000
RETIRED_ERROR = "target no longer configured"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    backoff_base_s: float
    backoff_cap_s: float
    max_age_s: float


def outbox_end(session: Session) -> int:
    return session.scalar(select(func.max(OutboxEntry.seq))) or 0


def open_cursor(session: Session, target: str) -> int | None:
    """Give a target seen for the first time a cursor at the current end of the outbox.

    A new (or renamed) target starts with the next change instead of replaying the
    whole history. Returns the seq it starts after, or None if it already had a cursor.
    """
    if session.get(PushCursor, target) is not None:
        return None
    last_seq = outbox_end(session)
    session.add(PushCursor(target=target, last_seq=last_seq))
    return last_seq


def retire_targets(session: Session, configured: Collection[str]) -> dict[str, int]:
    """Give up on targets that are no longer configured; returns {target: deliveries marked dead}.

    Their pending deliveries would otherwise wait forever, and their cursors are
    dropped so that a target configured again later starts like a new one.
    """
    retired: dict[str, int] = {}
    stale = session.scalars(
        select(Delivery).where(Delivery.status == "pending", Delivery.target.not_in(list(configured)))
    ).all()
    for delivery in stale:
        delivery.status = "dead"
        delivery.last_error = RETIRED_ERROR
        retired[delivery.target] = retired.get(delivery.target, 0) + 1
    for cursor in session.scalars(select(PushCursor).where(PushCursor.target.not_in(list(configured)))):
        retired.setdefault(cursor.target, 0)
        session.delete(cursor)
    return retired


def fan_out(
    session: Session,
    target: str,
    channel: str,
    sites: Collection[str],
    now: datetime,
    *,
    new_at_end: bool = False,
) -> int:
    """Create a delivery for each outbox entry this target has not seen; returns how many.

    The cursor moves in the same transaction as the inserts, so an entry is fanned
    out exactly once per target even across restarts. A target without a cursor
    starts at the beginning of the outbox, or with ``new_at_end`` after its current end
    (as ``open_cursor``).
    """
    cursor = session.get(PushCursor, target)
    if cursor is None:
        cursor = PushCursor(target=target, last_seq=outbox_end(session) if new_at_end else 0)
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
    receiver sees each event's changes in order. The database picks the due rows
    itself: however many other deliveries wait in backoff, they never hide a due one.
    """
    earlier = aliased(Delivery)
    waits_for_earlier = (
        select(earlier.id)
        .where(
            earlier.target == Delivery.target,
            earlier.event_id == Delivery.event_id,
            earlier.status == "pending",
            earlier.outbox_seq < Delivery.outbox_seq,
        )
        .exists()
    )
    return list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.target == target,
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                ~waits_for_earlier,
            )
            .order_by(Delivery.outbox_seq)
            .limit(limit)
        ).all()
    )


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
