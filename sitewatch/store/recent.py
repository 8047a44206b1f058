"""Recently ended ``no_helmet`` events of one camera, as rule values, to seed a restarted service's rules.

After a restart (or a crash) the per-camera rules start empty. A worker who is
still standing there bare-headed would then raise a second alert. The service
therefore hands each camera's ``NoHelmetRule`` the events that ended within its
cool-down, rebuilt from the store, so that the rule can continue them instead.
The evidence image is the stored snapshot JPEG, decoded (an empty image when
the snapshot is missing: the store then keeps the one it has).
"""

from __future__ import annotations

from datetime import datetime

import cv2
import numpy as np
from sqlalchemy import or_, select

from sitewatch.events import Event, EventType, Evidence
from sitewatch.store.models import Camera as CameraRow
from sitewatch.store.models import Event as EventRow
from sitewatch.store.models import Evidence as EvidenceRow
from sitewatch.store.store import Store

_NO_IMAGE = np.zeros((0, 0, 3), np.uint8)


def recent_no_helmet_events(
    store: Store, camera_id: str, ended_since: datetime, *, open_seen_until: datetime | None = None
) -> list[Event]:
    """``camera_id``'s ``no_helmet`` events whose end is at or after ``ended_since``, oldest first.

    The stored end of an open event only moves when its evidence improves, so
    after a crash it can be well before the last sighting. ``open_seen_until``
    is what the caller knows better: events still open (left open by a run
    that died) are taken to have been seen until then, when that is later.
    """
    if ended_since.tzinfo is None or (open_seen_until is not None and open_seen_until.tzinfo is None):
        raise ValueError("ended_since and open_seen_until must be timezone-aware")
    recent = EventRow.ended_at >= ended_since
    if open_seen_until is not None and open_seen_until >= ended_since:
        recent = or_(recent, EventRow.status == "open")
    with store.session() as session:
        rows = session.execute(
            select(EventRow, EvidenceRow)
            .outerjoin(EvidenceRow, EvidenceRow.id == EventRow.id)
            .where(EventRow.camera_id == camera_id, EventRow.type == str(EventType.NO_HELMET), recent)
            .order_by(EventRow.ended_at)
        ).all()
    events = [_as_event(store, row, evidence) for row, evidence in rows]
    if open_seen_until is None:
        return events
    return [
        e.evolve(end=open_seen_until) if not e.closed and open_seen_until > e.end else e for e in events
    ]


def last_frame_at(store: Store, camera_id: str) -> datetime | None:
    """When a live service last reported a frame from the camera (``record_camera_status``)."""
    with store.session() as session:
        camera = session.get(CameraRow, camera_id)
        return camera.last_frame_at if camera is not None else None


def _as_event(store: Store, row: EventRow, evidence: EvidenceRow | None) -> Event:
    bbox = (row.bbox_x1, row.bbox_y1, row.bbox_x2, row.bbox_y2)
    return Event(
        event_id=row.id,
        type=EventType.NO_HELMET,
        source=row.camera_id,
        start=row.started_at,
        end=row.ended_at,
        start_frame=row.start_frame,
        end_frame=row.end_frame,
        evidence=Evidence(
            frame_index=evidence.frame_index if evidence is not None and evidence.frame_index is not None
            else row.end_frame,
            timestamp=evidence.captured_at if evidence is not None and evidence.captured_at is not None
            else row.ended_at,
            bbox=tuple(float(v) for v in bbox),  # type: ignore[arg-type]
            confidence=float(row.confidence),
            image=_snapshot_image(store, row.id) if evidence is not None else _NO_IMAGE,
        ),
        track_id=row.track_id,
        closed=row.status == "closed",
        site_id=row.site_id,
        people=row.people,
    )


def _snapshot_image(store: Store, event_id: str) -> np.ndarray:
    data = store.snapshot_bytes(event_id)
    if not data:
        return _NO_IMAGE
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image if image is not None else _NO_IMAGE
