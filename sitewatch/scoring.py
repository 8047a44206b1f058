"""Batch scoring of recorded video: the engine behind ``sitewatch score``.

Every video is one source with its own tracker and rules; the detector is
shared. The loop is deliberately thin - decode (own thread), detect, process,
write - so that the model, not this code, sets the pace. With several model
streams (``detector.streams``; one per thread by default for recorded video)
that many frames are detected at once while this thread tracks and writes
the frames before them, in order.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sitewatch.ahead import run_ahead
from sitewatch.annotate import AnnotatedVideo, annotate
from sitewatch.events import EventChange
from sitewatch.outputs import EventCollector, detections_line, open_detections, write_events
from sitewatch.pipeline import CameraPipeline
from sitewatch.streams.file import VideoFileSource
from sitewatch.types import Detections


class Detector(Protocol):
    model_name: str
    model_sha256: str
    engine: str  # what ran the model, e.g. "onnxruntime f32"
    streams: int  # how many ``detect`` calls may run at once to good effect

    def detect(self, image) -> Detections: ...


@dataclass(frozen=True)
class VideoJob:
    """One video to score and how its frames map to wall-clock time."""

    path: Path
    source_id: str
    start: datetime


@dataclass(frozen=True)
class ScoreOptions:
    stride: int = 1
    annotate: bool = False
    detections: bool = False
    formats: frozenset[str] = frozenset({"jsonl"})


@dataclass
class VideoStats:
    source: str
    path: str
    frames_read: int = 0
    frames_scored: int = 0
    failed_frames: int = 0
    incomplete: bool = False  # not decoded to the end (truncated or corrupt); see VideoFileSource.incomplete


@dataclass
class ScoreResult:
    out_dir: Path
    events: list[dict]
    videos: list[VideoStats] = field(default_factory=list)
    wall_s: float = 0.0

    def summary(self, detector: Detector) -> dict:
        scored = sum(v.frames_scored for v in self.videos)
        return {
            "frames_read": sum(v.frames_read for v in self.videos),
            "frames_scored": scored,
            "failed_frames": sum(v.failed_frames for v in self.videos),
            "wall_s": round(self.wall_s, 3),
            "fps": round(scored / self.wall_s, 2) if self.wall_s > 0 else 0.0,
            "events": dict(Counter(e["type"] for e in self.events)),
            "model": {
                "name": detector.model_name,
                "sha256": detector.model_sha256,
                "engine": detector.engine,
                "streams": detector.streams,
            },
            "videos": [vars(v) for v in self.videos],
        }


PipelineFactory = Callable[[str], CameraPipeline]
ChangeSink = Callable[[Sequence[EventChange]], None]
Progress = Callable[[int], None]


def score_videos(
    jobs: Sequence[VideoJob],
    detector: Detector,
    make_pipeline: PipelineFactory,
    out_dir: Path,
    options: ScoreOptions = ScoreOptions(),
    sinks: Sequence[ChangeSink] = (),
    progress: Callable[[VideoJob, VideoFileSource], Progress] | None = None,
) -> ScoreResult:
    """Score every job into ``out_dir``; ``sinks`` also receive every event change (e.g. a store)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    collector = EventCollector(out_dir)
    result = ScoreResult(out_dir, [])
    detections_file = open_detections(out_dir) if options.detections else None
    started = time.perf_counter()

    def emit(changes: list[EventChange]) -> None:
        if changes:
            collector.apply(changes)
            for sink in sinks:
                sink(changes)

    try:
        for job in jobs:
            source = VideoFileSource(job.path, job.source_id, job.start, stride=options.stride)
            collector.zones[job.source_id] = job.start.tzinfo
            pipeline = make_pipeline(job.source_id)
            stats = VideoStats(job.source_id, str(job.path))
            result.videos.append(stats)
            advance = progress(job, source) if progress else None
            video = (
                AnnotatedVideo(out_dir / f"annotated-{job.source_id}.mp4", source.info.fps / options.stride)
                if options.annotate
                else None
            )
            try:
                # With several streams, that many frames are in the detector while this thread
                # tracks and writes the ones before them.
                for frame, found in run_ahead(lambda f: detector.detect(f.image), source, detector.streams):
                    processed = pipeline.process(frame, found)
                    emit(processed.changes)
                    stats.frames_scored += 1
                    if detections_file is not None:
                        detections_file.write(detections_line(job.source_id, frame.index, processed.detections))
                    if video is not None:
                        video.write(annotate(frame.image, processed.detections, f"{job.source_id} {frame.timestamp.astimezone(job.start.tzinfo):%Y-%m-%d %H:%M:%S%z}"))
                    if advance:
                        advance(options.stride)
            finally:
                if video is not None:
                    video.close()
            emit(pipeline.close())
            stats.frames_read = source.frames_read
            stats.failed_frames = source.failed_frames
            stats.incomplete = source.incomplete
    finally:
        if detections_file is not None:
            detections_file.close()
    result.wall_s = time.perf_counter() - started
    result.events = collector.records()
    write_events(out_dir, result.events, set(options.formats))
    return result


def write_summary(out_dir: Path, summary: dict) -> None:
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
