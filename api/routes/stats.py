"""/stats: event counts per day, site, camera and type over a time range."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sitewatch.api.auth import allow, visible_sites
from sitewatch.api.deps import DbSession
from sitewatch.api.errors import ERROR_RESPONSES, ApiError
from sitewatch.api.query import UtcDatetime, scope_to_sites
from sitewatch.api.schemas import StatsOut
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sitewatch.events import EventType
from sitewatch.store.keys import Principal, Role
from sitewatch.store.models import Event
from sitewatch.store.types import utc_now

router = APIRouter(tags=["stats"], responses=ERROR_RESPONSES)

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=3660)


def _utc_day(session: Session):
    """The UTC calendar day of an event's start, as 'YYYY-MM-DD' text, in this database's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d", Event.started_at)  # stored as naive UTC
    return func.to_char(Event.started_at, "YYYY-MM-DD")  # the session time zone is pinned to UTC


@router.get("/stats", response_model=StatsOut, summary="Event counts per day / site / camera / type")
def get_stats(
    principal: Annotated[Principal, Depends(allow(Role.VIEWER))],
    session: DbSession,
    start: Annotated[
        UtcDatetime | None, Query(alias="from", description="default: 7 days before 'to'")
    ] = None,
    end: Annotated[UtcDatetime | None, Query(alias="to", description="default: now")] = None,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    type: EventType | None = None,
    include_false_positives: bool = False,
) -> dict:
    end = end or utc_now()
    if start is None:
        try:
            start = end - DEFAULT_RANGE
        except OverflowError:  # 'to' in the first week of year 1: no date 7 days before it
            raise ApiError(400, "bad_range", "'to' is too early for the default 'from'; give 'from'") from None
    if start >= end:
        raise ApiError(400, "bad_range", "'from' must be before 'to'")
    if end - start > MAX_RANGE:
        raise ApiError(400, "bad_range", "the range may span at most ten years")
    conditions = [Event.started_at >= start, Event.started_at < end]
    if camera_id is not None:
        conditions.append(Event.camera_id == camera_id)
    if type is not None:
        conditions.append(Event.type == str(type))
    if not include_false_positives:
        conditions.append(Event.triage != "false_positive")
    sites = visible_sites(principal, site_id)

    def counts(key) -> list[tuple[str, int]]:
        query = (
            scope_to_sites(select(key, func.count()), Event.site_id, sites).where(*conditions).group_by(key)
        )
        return sorted((str(k), int(n)) for k, n in session.execute(query).all())

    by_day = counts(_utc_day(session))
    return {
        "start": start,
        "end": end,
        "total": sum(n for _, n in by_day),
        "by_day": [{"day": date.fromisoformat(k), "count": n} for k, n in by_day],
        "by_site": [{"key": k, "count": n} for k, n in counts(Event.site_id)],
        "by_camera": [{"key": k, "count": n} for k, n in counts(Event.camera_id)],
        "by_type": [{"key": k, "count": n} for k, n in counts(Event.type)],
    }
