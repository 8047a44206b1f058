"""/cameras: each camera with its status, last frame time and open events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sitewatch.api.auth import allow, visible_sites
from sitewatch.api.deps import DbSession
from sitewatch.api.errors import ERROR_RESPONSES
from sitewatch.api.query import scope_to_sites
from sitewatch.api.schemas import CameraOut
from sqlalchemy import func, select

from sitewatch.store.keys import Principal, Role
from sitewatch.store.models import Camera, Event

router = APIRouter(tags=["cameras"], responses=ERROR_RESPONSES)


@router.get("/cameras", response_model=list[CameraOut], summary="Cameras and their status")
def list_cameras(
    principal: Annotated[Principal, Depends(allow(Role.VIEWER))],
    session: DbSession,
    site_id: Annotated[str | None, Query(max_length=128)] = None,
) -> list[dict]:
    sites = visible_sites(principal, site_id)
    cameras = session.scalars(scope_to_sites(select(Camera), Camera.site_id, sites).order_by(Camera.id)).all()
    last_event = dict(
        session.execute(
            scope_to_sites(
                select(Event.camera_id, func.max(Event.started_at)), Event.site_id, sites
            ).group_by(Event.camera_id)
        ).all()
    )
    open_counts = dict(
        session.execute(
            scope_to_sites(select(Event.camera_id, func.count()), Event.site_id, sites)
            .where(Event.status == "open")
            .group_by(Event.camera_id)
        ).all()
    )
    return [
        {
            "id": c.id,
            "site_id": c.site_id,
            "name": c.name,
            "status": c.status,
            "last_frame_at": c.last_frame_at,
            "last_event_at": _aware(last_event.get(c.id)),
            "open_events": open_counts.get(c.id, 0),
        }
        for c in cameras
    ]


def _aware(value: datetime | str | None) -> datetime | None:
    # belt and braces: an aggregate may come back without the column type's conversion
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
