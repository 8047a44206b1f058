"""The JSON form of a stored event: served by the API, pushed by webhooks, MQTT and SSE."""

from __future__ import annotations

import json
from typing import Any

from sitewatch.store.models import Event

API_PREFIX = "/api/v1"


def iso(value) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def event_payload(row: Event, has_snapshot: bool) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "site_id": row.site_id,
        "camera_id": row.camera_id,
        "track_id": row.track_id,
        "status": row.status,
        "start": iso(row.started_at),
        "end": iso(row.ended_at),
        "closed_at": iso(row.closed_at),
        "duration_s": round((row.ended_at - row.started_at).total_seconds(), 3),
        "start_frame": row.start_frame,
        "end_frame": row.end_frame,
        "confidence": round(float(row.confidence), 4),
        "bbox": [round(float(v), 1) for v in (row.bbox_x1, row.bbox_y1, row.bbox_x2, row.bbox_y2)],
        "people": row.people,
        "triage": row.triage,
        "triage_comment": row.triage_comment,
        "triaged_by": row.triaged_by,
        "triaged_at": iso(row.triaged_at),
        "revision": row.revision,
        "updated_at": iso(row.updated_at),
        "snapshot_url": f"{API_PREFIX}/events/{row.id}/snapshot" if has_snapshot else None,
    }


def idempotency_key(entry) -> str:
    """One key per stored change (outbox entry): retries repeat it, the next change gets a new one."""
    return f"{entry.event_id}.{entry.seq}"


def change_message(entry) -> dict[str, Any]:
    """What webhooks, MQTT and the SSE stream send for one outbox entry."""
    return {
        "idempotency_key": idempotency_key(entry),
        "seq": entry.seq,
        "change": entry.kind,
        "occurred_at": iso(entry.created_at),
        "event": entry.payload,
    }


def encode_message(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()
