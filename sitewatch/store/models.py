"""The store's tables, as SQLAlchemy 2.x typed models.

Shaped for what comes next: the rectification workflow (assignee, deadline,
rectified-with-evidence, verified/rejected) adds its own table keyed by event id
plus more ``Evidence`` rows of another ``kind``; every change to it goes through
``AuditEntry`` (actor, action, before/after), as triage does now. Scorecards
aggregate ``Event`` by site and, once assignments exist, by contractor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sitewatch.store.types import SerialKey, UtcDateTime, utc_now

ID_LEN = 128  # site and camera ids come from config and pipelines; keep them bounded


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict] = {datetime: UtcDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str | None] = mapped_column(String(64))
    contractor: Mapped[str | None] = mapped_column(String(200))  # per-contractor scorecards group by this
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # unknown until a live pipeline reports on the camera; batch scoring never does
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    last_frame_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_started_id", "started_at", "id"),
        Index("ix_events_site_started", "site_id", "started_at"),
        Index("ix_events_camera_started", "camera_id", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # sitewatch.events.event_id_for
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id"))
    type: Mapped[str] = mapped_column(String(32), index=True)
    track_id: Mapped[int | None]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    start_frame: Mapped[int]
    end_frame: Mapped[int]
    confidence: Mapped[float]
    bbox_x1: Mapped[float]
    bbox_y1: Mapped[float]
    bbox_x2: Mapped[float]
    bbox_y2: Mapped[float]
    people: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), index=True)  # open | closed
    triage: Mapped[str] = mapped_column(
        String(24), default="new", index=True
    )  # new | acknowledged | false_positive
    triage_comment: Mapped[str | None] = mapped_column(Text)
    triaged_by: Mapped[str | None] = mapped_column(String(80))
    triaged_at: Mapped[datetime | None]
    # bumped on every stored change; the later workflow uses it for optimistic concurrency
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Evidence(Base):
    """A picture backing an event. The file lives on disk, named by ``id`` only."""

    __tablename__ = "evidence"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), default="detection")  # later also: rectification
    frame_index: Mapped[int | None]
    captured_at: Mapped[datetime | None]
    media_type: Mapped[str] = mapped_column(String(64), default="image/jpeg")
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class OutboxEntry(Base):
    """One stored change of one event, written in the event's own transaction.

    Push workers and the SSE stream read it in ``seq`` order; a worker fans each
    entry out into a ``Delivery`` per target, so the pipeline never needs to know
    which targets are configured.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_site_seq", "site_id", "seq"),)

    seq: Mapped[int] = mapped_column(SerialKey, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"), index=True)
    site_id: Mapped[str] = mapped_column(String(ID_LEN))
    camera_id: Mapped[str] = mapped_column(String(ID_LEN))
    kind: Mapped[str] = mapped_column(String(16))  # opened | updated | closed | triaged
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PushCursor(Base):
    """How far into the outbox each push target has fanned out."""

    __tablename__ = "push_cursors"

    target: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_seq: Mapped[int] = mapped_column(SerialKey, default=0)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("target", "outbox_seq", name="uq_deliveries_target_seq"),
        Index("ix_deliveries_target_status_seq", "target", "status", "outbox_seq"),
    )

    id: Mapped[int] = mapped_column(SerialKey, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(16))  # webhook | mqtt
    outbox_seq: Mapped[int] = mapped_column(ForeignKey("outbox.seq"))
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    site_id: Mapped[str] = mapped_column(String(ID_LEN), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    age_from: Mapped[datetime]  # the dead-after clock starts here; an API retry resets it
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    delivered_at: Mapped[datetime | None]


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public part of the key
    secret_sha256: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # viewer | operator | admin
    sites: Mapped[list[str]]  # empty: every site
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who changed what, when: append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(SerialKey, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "key:<id>", "cli", "system"
    action: Mapped[str] = mapped_column(String(64))  # e.g. event.triage, delivery.retry, key.create
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(ID_LEN))
    site_id: Mapped[str | None] = mapped_column(String(ID_LEN), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    comment: Mapped[str | None] = mapped_column(Text)
