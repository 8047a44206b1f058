"""What ``sitewatch score`` writes: events (JSON lines, CSV), snapshots, detections, summary.

Snapshots are written as soon as an event closes and the event's frame is
then let go, so a long recording with many events does not hold every
evidence frame in memory.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO

from sitewatch.events import ChangeKind, Event, EventChange
from sitewatch.snapshots import render_snapshot
from sitewatch.types import Detections

EVENT_FIELDS = (
    "event_id",
    "source",
    "type",
    "start",
    "end",
    "start_frame",
    "end_frame",
    "track_id",
    "confidence",
    "bbox",
    "snapshot",
    "people",
    "site_id",
)


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds")


def event_record(event: Event, snapshot: str | None, zone: tzinfo | None = None) -> dict:
    """The JSON form of an event, as in events.jsonl; times shown in ``zone`` (else as they are, UTC)."""
    start, end = (event.start, event.end) if zone is None else (event.start.astimezone(zone), event.end.astimezone(zone))
    record = {
        "event_id": event.event_id,
        "source": event.source,
        "type": event.type.value,
        "start": iso(start),
        "end": iso(end),
        "start_frame": event.start_frame,
        "end_frame": event.end_frame,
        "track_id": event.track_id,
        "confidence": round(event.confidence, 4),
        "bbox": [round(v, 1) for v in event.bbox],
        "snapshot": snapshot,
    }
    if event.people is not None:
        record["people"] = event.people
    if event.site_id is not None:
        record["site_id"] = event.site_id
    return record


def snapshot_label(event: Event) -> str:
    who = f" #{event.track_id}" if event.track_id is not None else ""
    people = f" ({event.people} people)" if event.people else ""
    return f"{event.type.value}{who}{people} {event.confidence:.2f}"


@dataclass
class EventCollector:
    """Follows event changes and keeps each event's final state; writes snapshots on close."""

    out_dir: Path
    # Per source, the zone its times are shown in (that of its --start): the rules work in
    # UTC, but an inspector reads the site's clock.
    zones: dict[str, tzinfo] = field(default_factory=dict)
    events: dict[str, dict] = field(default_factory=dict)
    _open: dict[str, Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.out_dir / "snapshots").mkdir(parents=True, exist_ok=True)

    def apply(self, changes: list[EventChange]) -> None:
        for change in changes:
            event = change.event
            if change.kind is ChangeKind.CLOSED or event.closed:
                self._open.pop(event.event_id, None)
                self.events[event.event_id] = event_record(
                    event, self._write_snapshot(event), self.zones.get(event.source)
                )
            else:
                self._open[event.event_id] = event
                self.events.setdefault(event.event_id, event_record(event, None, self.zones.get(event.source)))

    def _write_snapshot(self, event: Event) -> str:
        rel = f"snapshots/{event.event_id}.jpg"
        (self.out_dir / rel).write_bytes(render_snapshot(event.evidence, snapshot_label(event)))
        return rel

    @property
    def open_count(self) -> int:
        return len(self._open)

    def records(self) -> list[dict]:
        # By instant: sources may show their times in different zones.
        return sorted(
            self.events.values(),
            key=lambda r: (datetime.fromisoformat(r["start"]), r["source"], r["event_id"]),
        )


def write_events(out_dir: Path, records: list[dict], formats: set[str]) -> None:
    with open(out_dir / "events.jsonl", "w") as fh:
        for record in records:
            fh.write(json.dumps(record) + "\n")
    if "csv" in formats:
        with open(out_dir / "events.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=EVENT_FIELDS, extrasaction="ignore")
            writer.writeheader()
            for record in records:
                writer.writerow({**record, "bbox": " ".join(str(v) for v in record["bbox"])})


def detections_line(source: str, frame_index: int, detections: Detections) -> str:
    """One line of detections.jsonl: every box after NMS, tracked or not."""
    names = detections.names
    tracks = detections.tracker_id
    boxes = [
        [
            *(round(float(v), 1) for v in detections.xyxy[i]),
            round(float(detections.confidence[i]), 4),
            names[i],
            None if tracks is None or tracks[i] < 0 else int(tracks[i]),
        ]
        for i in range(len(detections))
    ]
    return json.dumps({"source": source, "frame": frame_index, "boxes": boxes}) + "\n"


def open_detections(out_dir: Path) -> IO[str]:
    return open(out_dir / "detections.jsonl", "w")
