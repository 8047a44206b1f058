"""Turn pipeline event changes into rows: idempotent upsert, evidence row and outbox entry together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.events import ChangeKind, EventChange
from sitewatch.store.models import Camera, Event, Evidence, OutboxEntry, Site
from sitewatch.store.payload import event_payload
from sitewatch.store.types import utc_now

DEFAULT_SITE = "default"


@dataclass(frozen=True, slots=True)
class Snapshot:
    frame_index: int
    captured_at: datetime
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class PendingChange:
    """An event change ready to write: UTC times, a resolved site, no image (it is on disk already).

    This is what the outage buffer holds, so it must stay small.
    """

    kind: ChangeKind
    event_id: str
    type: str
    site_id: str
    camera_id: str
    track_id: int | None
    start: datetime
    end: datetime
    start_frame: int
    end_frame: int
    confidence: float
    bbox: tuple[float, float, float, float]
    people: int | None
    closing: bool
    snapshot: Snapshot | None

    @classmethod
    def from_change(
        cls, change: EventChange, site_id: str | None, snapshot: Snapshot | None
    ) -> PendingChange:
        event = change.event
        return cls(
            kind=change.kind,
            event_id=event.event_id,
            type=str(event.type),
            site_id=event.site_id or site_id or DEFAULT_SITE,
            camera_id=event.source,
            track_id=event.track_id,
            start=event.start.astimezone(UTC),
            end=event.end.astimezone(UTC),
            start_frame=event.start_frame,
            end_frame=event.end_frame,
            confidence=float(event.confidence),
            bbox=tuple(float(v) for v in event.bbox),
            people=event.people,
            closing=change.kind is ChangeKind.CLOSED or event.closed,
            snapshot=snapshot,
        )


def ensure_site_and_camera(session: Session, site_id: str, camera_id: str) -> None:
    if session.get(Site, site_id) is None:
        session.add(Site(id=site_id, name=site_id))
        session.flush()
    if session.get(Camera, camera_id) is None:
        session.add(Camera(id=camera_id, site_id=site_id, name=camera_id))
        session.flush()


def add_outbox(session: Session, row: Event, kind: str) -> None:
    has_snapshot = session.get(Evidence, row.id) is not None
    session.add(
        OutboxEntry(
            event_id=row.id,
            site_id=row.site_id,
            camera_id=row.camera_id,
            kind=kind,
            payload=event_payload(row, has_snapshot),
            created_at=utc_now(),
        )
    )


def write_change(session: Session, change: PendingChange) -> bool:
    """Upsert one change; True when something was stored (and an outbox entry written).

    Replaying a change that is already stored changes nothing and writes no outbox entry,
    so a retried write or a restarted pipeline neither duplicates the event nor re-alerts.
    """
    ensure_site_and_camera(session, change.site_id, change.camera_id)
    row = session.get(Event, change.event_id)
    now = utc_now()
    if row is None:
        row = Event(
            id=change.event_id,
            site_id=change.site_id,
            camera_id=change.camera_id,
            type=change.type,
            track_id=change.track_id,
            started_at=change.start,
            closed_at=change.end if change.closing else None,
            start_frame=change.start_frame,
            people=change.people,
            **_latest_sighting(change),
            status="closed" if change.closing else "open",
            triage="new",
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        is_new = changed = True
    else:
        is_new, changed = False, _merge_into(row, change)
    if _upsert_evidence(session, change, now):
        changed = True
    if changed:
        if not is_new:
            row.revision += 1
            row.updated_at = now
        session.flush()
        add_outbox(session, row, str(change.kind))
    return changed


def _latest_sighting(change: PendingChange) -> dict[str, object]:
    """The columns a newer change of an event replaces: its end and its evidence box."""
    return {
        "ended_at": change.end,
        "end_frame": change.end_frame,
        "confidence": change.confidence,
        "bbox_x1": change.bbox[0],
        "bbox_y1": change.bbox[1],
        "bbox_x2": change.bbox[2],
        "bbox_y2": change.bbox[3],
    }


def _merge_into(row: Event, change: PendingChange) -> bool:
    """Fold a change into a stored event; a stale replay (older end) cannot move it backwards."""
    newer = change.end >= row.ended_at
    updates: dict[str, object] = {}
    if newer:
        updates.update(_latest_sighting(change))
    if change.people is not None and (row.people is None or change.people > row.people):
        updates["people"] = change.people
    if change.closing and row.status == "open":
        updates.update(status="closed", closed_at=max(change.end, row.ended_at))
    elif not change.closing and row.status == "closed" and change.end > row.ended_at:
        # the rules continued an episode within its cool-down: it is open again
        updates.update(status="open", closed_at=None)
    changed = False
    for name, value in updates.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert_evidence(session: Session, change: PendingChange, now: datetime) -> bool:
    snap = change.snapshot
    if snap is None:
        return False
    row = session.get(Evidence, change.event_id)
    if row is None:
        session.add(
            Evidence(
                id=change.event_id,
                event_id=change.event_id,
                kind="detection",
                frame_index=snap.frame_index,
                captured_at=snap.captured_at,
                media_type="image/jpeg",
                sha256=snap.sha256,
                size_bytes=snap.size_bytes,
                created_at=now,
                updated_at=now,
            )
        )
        return True
    if row.sha256 == snap.sha256:
        return False
    row.frame_index, row.captured_at = snap.frame_index, snap.captured_at
    row.sha256, row.size_bytes, row.updated_at = snap.sha256, snap.size_bytes, now
    return True


def open_events(session: Session) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.status == "open").order_by(Event.started_at)))
