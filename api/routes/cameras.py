"""/cameras: each camera with its status, last frame time and open events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
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
    request: Request,
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
    live = _live_stats(request)
    return [
        {
            **live.get(c.id, {}),
            "id": c.id,
            "site_id": c.site_id,
            "name": c.name,
            "status": c.status,
            "last_frame_at": _latest(c.last_frame_at, live.get(c.id, {}).get("last_frame_at")),
            "last_event_at": _aware(last_event.get(c.id)),
            "open_events": open_counts.get(c.id, 0),
        }
        for c in cameras
    ]


# SourceStats keys -> CameraOut fields
_LIVE_FIELDS = {
    "state": "state",
    "reason": "state_reason",
    "since": "state_since",
    "frozen": "frozen",
    "fps": "fps",
    "sample_fps": "sample_fps",
    "frames_sampled": "frames_sampled",
    "drops": "drops",
    "reconnects": "reconnects",
    "width": "width",
    "height": "height",
    "last_frame_at": "last_frame_at",
}


def _live_stats(request: Request) -> dict[str, dict]:
    """Camera id -> its live fields; empty when no live service runs (``sitewatch api``)."""
    source = getattr(request.app.state, "camera_stats", None)
    if source is None:
        return {}
    return {
        s["source_id"]: {field: s.get(key) for key, field in _LIVE_FIELDS.items()}
        for s in source()
    }


def _latest(stored: datetime | None, live: datetime | str | None) -> datetime | None:
    live = _aware(live)
    stored = _aware(stored)
    if live is None or stored is None:
        return live or stored
    return max(live, stored)


def _aware(value: datetime | str | None) -> datetime | None:
    # belt and braces: an aggregate may come back without the column type's conversion
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
