"""/deliveries: webhook and MQTT delivery state; dead ones can be queued again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sitewatch.api.auth import allow, require_site, visible_sites
from sitewatch.api.deps import DbSession
from sitewatch.api.errors import ERROR_RESPONSES, ApiError, not_found
from sitewatch.api.pagination import decode_id_cursor, encode_cursor
from sitewatch.api.query import scope_to_sites
from sitewatch.api.schemas import DeliveryOut, DeliveryPage, DeliveryStatus
from sqlalchemy import select

from sitewatch.store.deliveries import retry_delivery
from sitewatch.store.keys import Principal, Role
from sitewatch.store.models import Delivery

router = APIRouter(tags=["deliveries"], responses=ERROR_RESPONSES)

Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
DeliveryId = Annotated[int, Path(ge=1, le=2**62)]


def _out(d: Delivery) -> dict:
    return {
        "id": d.id,
        "target": d.target,
        "channel": d.channel,
        "event_id": d.event_id,
        "site_id": d.site_id,
        "seq": d.outbox_seq,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    }


@router.get("/deliveries", response_model=DeliveryPage, summary="Deliveries, newest first")
def list_deliveries(
    principal: Operator,
    session: DbSession,
    status: DeliveryStatus | None = None,
    target: Annotated[str | None, Query(max_length=80)] = None,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    query = scope_to_sites(select(Delivery), Delivery.site_id, visible_sites(principal, site_id))
    if status is not None:
        query = query.where(Delivery.status == status)
    if target is not None:
        query = query.where(Delivery.target == target)
    before_id = None if cursor is None else decode_id_cursor(cursor)
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    rows = session.scalars(query.order_by(Delivery.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [_out(d) for d in page],
        "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def _delivery_for(session, delivery_id: int, principal: Principal) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise not_found("delivery")
    require_site(principal, row.site_id)
    return row


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, summary="One delivery")
def get_delivery(delivery_id: DeliveryId, principal: Operator, session: DbSession) -> dict:
    return _out(_delivery_for(session, delivery_id, principal))


def _superseded(session, row: Delivery) -> bool:
    """A later change of the same event already reached the same target."""
    later = select(Delivery.id).where(
        Delivery.target == row.target,
        Delivery.event_id == row.event_id,
        Delivery.outbox_seq > row.outbox_seq,
        Delivery.status == "delivered",
    )
    return session.scalar(later.limit(1)) is not None


@router.post(
    "/deliveries/{delivery_id}/retry", response_model=DeliveryOut, summary="Queue a dead delivery again"
)
def retry(delivery_id: DeliveryId, principal: Operator, session: DbSession) -> dict:
    with session.begin():
        row = _delivery_for(session, delivery_id, principal)
        if row.status == "delivered":
            raise ApiError(409, "already_delivered", "this delivery already reached its target")
        if row.status == "pending":
            # a retry would skip its backoff and restart its dead-after clock, again and again
            raise ApiError(409, "already_pending", "this delivery is still being retried")
        if _superseded(session, row):
            # sent now, it would arrive after the newer state and show the receiver stale data
            raise ApiError(
                409,
                "superseded",
                "a later change of this event already reached the target; this one would arrive out of order",
            )
        retry_delivery(session, row, principal.actor)
        row.attempts = 0  # a fresh start: the first retry waits the base backoff, not the cap
        session.flush()
        return _out(row)
