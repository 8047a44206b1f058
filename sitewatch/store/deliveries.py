"""Delivery rows as the API sees them: list, and put a dead one back in the queue."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sitewatch.store.audit import record_audit
from sitewatch.store.models import Delivery
from sitewatch.store.types import utc_now


def retry_delivery(session: Session, delivery: Delivery, actor: str) -> None:
    """Queue ``delivery`` again now, with a fresh dead-after clock, and audit who did it."""
    before = {"status": delivery.status, "attempts": delivery.attempts}
    now = utc_now()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.age_from = now
    record_audit(
        session,
        actor=actor,
        action="delivery.retry",
        entity_type="delivery",
        entity_id=str(delivery.id),
        site_id=delivery.site_id,
        before=before,
        after={"status": "pending"},
    )
