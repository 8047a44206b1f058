"""Request and response bodies of the API (pydantic): what the OpenAPI document describes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sitewatch.events import EventType

Triage = Literal["new", "acknowledged", "false_positive"]
EventStatus = Literal["open", "closed"]
DeliveryStatus = Literal["pending", "delivered", "dead"]


class EventOut(BaseModel):
    id: str
    type: EventType
    site_id: str
    camera_id: str
    track_id: int | None
    status: EventStatus
    start: datetime
    end: datetime
    closed_at: datetime | None
    duration_s: float
    start_frame: int
    end_frame: int
    confidence: float
    bbox: list[float] = Field(description="x1, y1, x2, y2 in frame pixels")
    people: int | None
    triage: Triage
    triage_comment: str | None
    triaged_by: str | None = Field(description="id of the API key that triaged it")
    triaged_at: datetime | None
    revision: int
    updated_at: datetime
    snapshot_url: str | None


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    triage: Triage
    # No NUL: PostgreSQL text cannot store one (see sitewatch.api.nul_guard).
    comment: str | None = Field(None, max_length=2000, pattern=r"^[^\x00]*$")


class CameraOut(BaseModel):
    id: str
    site_id: str
    name: str
    status: str = Field(
        description="online | connecting | stalled | offline | stopped | removed | unknown "
        "(unknown until a live pipeline reports; removed: no longer in the live service's config)"
    )
    last_frame_at: datetime | None
    last_event_at: datetime | None
    open_events: int
    # Live reader state, present while a live service (``sitewatch serve``) runs the camera.
    state: str | None = Field(None, description="connecting | streaming | stalled | offline | closed")
    state_reason: str | None = Field(None, description="why the camera is in this state")
    state_since: datetime | None = None
    frozen: bool | None = Field(None, description="frames arrive but the picture has not changed")
    fps: float | None = Field(None, description="rate frames arrive at while streaming")
    sample_fps: float | None = Field(None, description="frames scored per second (configured)")
    frames_sampled: int | None = None
    drops: int | None = Field(None, description="sampled frames replaced before they were scored")
    reconnects: int | None = None
    width: int | None = None
    height: int | None = None


class CountOut(BaseModel):
    key: str
    count: int


class DayCountOut(BaseModel):
    day: date
    count: int


class StatsOut(BaseModel):
    start: datetime
    end: datetime
    total: int
    by_day: list[DayCountOut]
    by_site: list[CountOut]
    by_camera: list[CountOut]
    by_type: list[CountOut]


class DeliveryOut(BaseModel):
    id: int
    target: str
    channel: str
    event_id: str
    site_id: str
    seq: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    site_id: str | None
    before: dict | None
    after: dict | None
    comment: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
