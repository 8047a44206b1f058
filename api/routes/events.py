"""/events: list with filters and cursor pagination, read one, its snapshot, triage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sitewatch.api.auth import allow, visible_sites
from sitewatch.api.deps import ApiSettingsDep, DbSession, StoreDep
from sitewatch.api.errors import ERROR_RESPONSES, ApiError
from sitewatch.api.pagination import decode_event_cursor, encode_cursor
from sitewatch.api.query import UtcDatetime, event_for, event_out, scope_to_sites
from sitewatch.api.schemas import EventOut, EventPage, EventStatus, Triage, TriageIn
from sqlalchemy import and_, or_, select

from sitewatch.events import EventType
from sitewatch.store.audit import record_audit
from sitewatch.store.keys import Principal, Role
from sitewatch.store.models import Event as EventRow
from sitewatch.store.models import Evidence
from sitewatch.store.payload import event_payload
from sitewatch.store.types import utc_now
from sitewatch.store.writer import add_outbox

router = APIRouter(tags=["events"], responses=ERROR_RESPONSES)

Viewer = Annotated[Principal, Depends(allow(Role.VIEWER))]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
EventId = Annotated[str, Path(max_length=64, description="event id (a UUID)")]


@router.get("/events", response_model=EventPage, summary="List events, newest first")
def list_events(
    principal: Viewer,
    session: DbSession,
    settings: ApiSettingsDep,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    type: EventType | None = None,
    status: EventStatus | None = None,
    triage: Triage | None = None,
    start: Annotated[
        UtcDatetime | None, Query(alias="from", description="events starting at or after")
    ] = None,
    end: Annotated[UtcDatetime | None, Query(alias="to", description="events starting before")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    limit = min(limit, settings.page_size_max)
    if start is not None and end is not None and start >= end:
        # As /stats answers it: an empty page would hide a swapped range.
        raise ApiError(400, "bad_range", "'from' must be before 'to'")
    query = scope_to_sites(select(EventRow), EventRow.site_id, visible_sites(principal, site_id))
    for column, value in (
        (EventRow.camera_id, camera_id),
        (EventRow.type, None if type is None else str(type)),
        (EventRow.status, status),
        (EventRow.triage, triage),
    ):
        if value is not None:
            query = query.where(column == value)
    if start is not None:
        query = query.where(EventRow.started_at >= start)
    if end is not None:
        query = query.where(EventRow.started_at < end)
    if cursor is not None:
        after_start, after_id = decode_event_cursor(cursor)
        query = query.where(
            or_(
                EventRow.started_at < after_start,
                and_(EventRow.started_at == after_start, EventRow.id < after_id),
            )
        )
    rows = session.scalars(
        query.order_by(EventRow.started_at.desc(), EventRow.id.desc()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    ids = [r.id for r in page]
    with_snapshot = set(session.scalars(select(Evidence.id).where(Evidence.id.in_(ids)))) if ids else set()
    items = [event_payload(r, r.id in with_snapshot) for r in page]
    next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


@router.get("/events/{event_id}", response_model=EventOut, summary="One event")
def get_event(event_id: EventId, principal: Viewer, session: DbSession) -> dict:
    return event_out(session, event_for(session, event_id, principal))


@router.get(
    "/events/{event_id}/snapshot",
    summary="The event's evidence snapshot (JPEG with the box drawn)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG image"}},
)
def get_snapshot(event_id: EventId, principal: Viewer, session: DbSession, store: StoreDep) -> Response:
    row = event_for(session, event_id, principal)
    data = store.snapshot_bytes(row.id) if session.get(Evidence, row.id) is not None else None
    if data is None:
        raise ApiError(404, "not_found", "this event has no snapshot")
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=60"})


@router.patch("/events/{event_id}", response_model=EventOut, summary="Triage an event (audited)")
def triage_event(event_id: EventId, body: TriageIn, principal: Operator, session: DbSession) -> dict:
    with session.begin():
        row = event_for(session, event_id, principal)
        before = {"triage": row.triage, "triage_comment": row.triage_comment}
        now = utc_now()
        row.triage, row.triage_comment = body.triage, body.comment
        row.triaged_by, row.triaged_at = principal.key_id, now
        row.revision += 1
        row.updated_at = now
        session.flush()
        record_audit(
            session,
            actor=principal.actor,
            action="event.triage",
            entity_type="event",
            entity_id=row.id,
            site_id=row.site_id,
            before=before,
            after={"triage": body.triage, "triage_comment": body.comment},
            comment=body.comment,
        )
        add_outbox(session, row, "triaged")
        return event_out(session, row)
