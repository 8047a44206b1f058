"""Event-level evaluation on labelled clips: the service's own pipeline, measured as inspectors see it.

Each clip is scored by ``sitewatch.scoring.score_videos`` with pipelines from
``sitewatch.wiring.make_pipeline_factory`` - the code behind ``sitewatch
score`` and the live service - configured with the clip's site (its time zone
and permitted hours) and the rest of the settings (detector, tracker, rules)
from the configuration. Nothing here re-implements a rule.

What is measured, per event type (definitions in ``sitewatch.evaluation.matching``):

- precision, recall and F1 of events against ground-truth episodes;
- ``duplicates_per_episode``: alerts (the true positive plus its duplicates)
  per detected episode - 1.0 means every detected violation alerted once;
  ``multi_alert_share``: the share of detected episodes alerted more than once;
- ``time_to_alert_s``: median and 95th percentile over detected episodes of
  (frame the first alert's ``OPENED`` change was emitted in - episode's first
  frame) / fps. It is captured from the live change stream (a ``sinks``
  entry), not from the event's ``start``, which rules back-date to the first
  sighting. It can be negative when an alert opens before the labelled start;
- frame-level mAP50 of the pipeline's boxes (``detections.jsonl``, so at the
  detector's operating confidence, not the 0.001 of ``eval images``: expect a
  lower figure than there) on the labelled frames that were scored.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from sitewatch.config import Settings
from sitewatch.evaluation.clips_format import ClipFormatError, LabelledClip
from sitewatch.evaluation.coco import ALL, evaluate_detections
from sitewatch.evaluation.matching import Episode, MatchCounts, Matching, PredictedEvent, match_events
from sitewatch.evaluation.yolo_dataset import GroundTruth
from sitewatch.events import ChangeKind, EventChange, EventType
from sitewatch.rules.schedule import is_permitted
from sitewatch.scoring import Detector, ScoreOptions, VideoJob, score_videos
from sitewatch.streams.file import SourceError, probe
from sitewatch.types import Detections
from sitewatch.wiring import CameraContext, make_pipeline_factory

EVENT_TYPES = (EventType.NO_HELMET, EventType.OUT_OF_HOURS)
# A container's frame rate is stored as a rational; allow its rounding, not a different rate.
_FPS_TOLERANCE = 0.01

ClipProgress = Callable[[int, int, str], None]


# -- capturing events from the change stream -------------------------------------
@dataclass
class _EventTrace:
    type: EventType
    open_frame: int
    open_box: tuple[int, tuple[float, float, float, float]]
    start_frame: int = 0
    end_frame: int = 0
    evidence_box: tuple[int, tuple[float, float, float, float]] | None = None


@dataclass
class EventRecorder:
    """A ``score_videos`` sink that keeps, per event, when it opened and what it finally claimed.

    The opening frame is the ``OPENED`` event's ``end_frame``: both rules open an
    event while processing a frame in which they see the violation, so its last
    sighting is that very frame. Images are not kept (the evidence holds frames).
    """

    traces: dict[str, _EventTrace] = field(default_factory=dict)

    def __call__(self, changes: Sequence[EventChange]) -> None:
        for change in changes:
            event = change.event
            trace = self.traces.get(event.event_id)
            if trace is None:
                # Every event's first change is OPENED; anything else would be a rule bug, kept visible as is.
                opened = change.kind is ChangeKind.OPENED
                trace = self.traces[event.event_id] = _EventTrace(
                    event.type,
                    event.end_frame if opened else event.start_frame,
                    (event.evidence.frame_index, event.evidence.bbox),
                )
            trace.start_frame, trace.end_frame = event.start_frame, event.end_frame
            trace.evidence_box = (event.evidence.frame_index, event.evidence.bbox)

    def events(self) -> list[PredictedEvent]:
        return sorted(
            (
                PredictedEvent(
                    event_id,
                    t.type,
                    t.start_frame,
                    t.end_frame,
                    t.open_frame,
                    tuple(b for b in (t.open_box, t.evidence_box) if b is not None),
                )
                for event_id, t in self.traces.items()
            ),
            key=lambda e: (e.open_frame, e.event_id),
        )


# -- one clip --------------------------------------------------------------------
@dataclass(frozen=True)
class ClipResult:
    clip: LabelledClip
    events: tuple[PredictedEvent, ...]
    matching: Matching
    frames_scored: int
    ground_truth: tuple[GroundTruth, ...]  # labelled frames that were scored, in frame order
    predictions: tuple[Detections, ...]  # in the clip's classes, one per ground-truth frame
    wall_s: float

    @property
    def name(self) -> str:
        return self.clip.name

    @property
    def outside_permitted_hours(self) -> bool:
        return not is_permitted(self.clip.meta.site, (), self.clip.meta.start)

    def counts(self, type_: EventType) -> MatchCounts:
        return self.matching.counts(type_)

    def alert_delays_s(self, type_: EventType) -> list[float]:
        return [d / self.clip.meta.fps for d in self.counts(type_).alert_delays_frames]


def episodes_of(clip: LabelledClip) -> list[Episode]:
    return [Episode(e.type, e.start_frame, e.end_frame, e.person, e.difficult) for e in clip.meta.episodes]


def check_video(clip: LabelledClip) -> None:
    """The video decodes and runs at the clip's frame rate (frame times and episode frames depend on it)."""
    try:
        info = probe(clip.video_path)
    except SourceError as exc:
        raise ClipFormatError(str(exc)) from None
    if abs(info.fps - clip.meta.fps) > _FPS_TOLERANCE * clip.meta.fps:
        raise ClipFormatError(
            f"{clip.video_path}: the video runs at {info.fps:g} fps "
            f"but {clip.folder.name}/clip.json says {clip.meta.fps:g}"
        )


def run_clip(
    clip: LabelledClip, settings: Settings, detector: Detector, out_dir: Path, stride: int = 1
) -> ClipResult:
    """Score one clip with the service's pipeline into ``out_dir`` and match its events."""
    check_video(clip)
    site = clip.meta.site
    recorder = EventRecorder()
    started = time.perf_counter()
    # The clip's own site (and hours) applies; detector, tracker and rule settings come from ``settings``.
    factory = make_pipeline_factory(settings, CameraContext(None, site, site.zone))
    try:
        result = score_videos(
            [VideoJob(clip.video_path, clip.name, clip.meta.start)],
            detector,
            factory,
            out_dir,
            ScoreOptions(stride=stride, detections=True),
            sinks=[recorder],
        )
    except SourceError as exc:
        raise ClipFormatError(str(exc)) from None
    wall_s = time.perf_counter() - started
    events = recorder.events()
    matching = match_events(episodes_of(clip), events, clip.labels.bare_head_box)
    ground_truth, predictions = _labelled_frames(clip, out_dir / "detections.jsonl")
    return ClipResult(
        clip, tuple(events), matching, result.videos[0].frames_scored, ground_truth, predictions, wall_s
    )


def _labelled_frames(
    clip: LabelledClip, detections_jsonl: Path
) -> tuple[tuple[GroundTruth, ...], tuple[Detections, ...]]:
    classes = clip.meta.classes
    index = {name: i for i, name in enumerate(classes)}
    ground_truth, predictions = [], []
    with open(detections_jsonl, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            labels = clip.labels.frames.get(record["frame"])
            if labels is None:
                continue
            # Boxes of classes the clip does not label can be neither right nor wrong here.
            boxes = [b for b in record["boxes"] if b[5] in index]
            ground_truth.append(GroundTruth(labels.xyxy, labels.class_id, clip.meta.width, clip.meta.height))
            predictions.append(
                Detections(
                    np.asarray([b[:4] for b in boxes], np.float32).reshape(-1, 4),
                    np.asarray([b[4] for b in boxes], np.float32),
                    np.asarray([index[b[5]] for b in boxes], np.int32),
                    classes,
                )
            )
    return tuple(ground_truth), tuple(predictions)


# -- all clips ---------------------------------------------------------------------
@dataclass(frozen=True)
class ClipsEvaluation:
    results: tuple[ClipResult, ...]
    model_name: str
    model_sha256: str
    engine: str  # what ran the model, e.g. "openvino bf16": bfloat16 moves event figures slightly

    def counts(self, type_: EventType) -> MatchCounts:
        return sum((r.counts(type_) for r in self.results), MatchCounts())

    def type_metrics(self, type_: EventType) -> dict:
        delays = [d for r in self.results for d in r.alert_delays_s(type_)]
        return summarise(self.counts(type_), delays)

    def map50(self) -> dict[str, float | None]:
        return frame_map50(self.results)

    def as_dict(self) -> dict:
        """The JSON printed by ``sitewatch eval clips --json`` (a fresh copy each call)."""
        return copy.deepcopy(self._summary)

    @cached_property
    def _summary(self) -> dict:
        # Computed once: the mAP passes over every labelled frame are the slow part.
        return {
            "model": {"name": self.model_name, "sha256": self.model_sha256, "engine": self.engine},
            **{t.value: self.type_metrics(t) for t in EVENT_TYPES},
            "map50": self.map50(),
            "clips": [clip_row(r) for r in self.results],
        }


def evaluate_clips(
    clips: Sequence[LabelledClip],
    settings: Settings,
    detector: Detector,
    work_dir: Path,
    stride: int = 1,
    on_progress: ClipProgress | None = None,
) -> ClipsEvaluation:
    """Run every clip (outputs in ``work_dir/<clip name>``) and collect the results."""
    results = []
    for done, clip in enumerate(clips):
        if on_progress is not None:
            on_progress(done, len(clips), clip.name)
        results.append(run_clip(clip, settings, detector, work_dir / clip.name, stride))
    if on_progress is not None:
        on_progress(len(clips), len(clips), "")
    return ClipsEvaluation(tuple(results), detector.model_name, detector.model_sha256, detector.engine)


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def summarise(counts: MatchCounts, delays_s: Sequence[float]) -> dict:
    """One event type's figures; None where a figure is undefined (nothing to divide by)."""
    precision = _ratio(counts.true_positives, counts.true_positives + counts.false_positives)
    recall = _ratio(counts.detected, counts.episodes)
    f1 = None
    if precision is not None and recall is not None:
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
    delays = np.asarray(delays_s, np.float64)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "episodes": counts.episodes,
        "events": counts.events,
        "duplicates_per_episode": _ratio(counts.true_positives + counts.duplicates, counts.detected),
        "time_to_alert_s": {
            "median": round(float(np.median(delays)), 2) if len(delays) else None,
            "p95": round(float(np.percentile(delays, 95)), 2) if len(delays) else None,
        },
        "multi_alert_share": _ratio(counts.multi_alerted, counts.detected),
        "true_positives": counts.true_positives,
        "false_positives": counts.false_positives,
        "duplicates": counts.duplicates,
        "missed": counts.missed,
        "ignored": counts.ignored,
    }


def frame_map50(results: Sequence[ClipResult]) -> dict[str, float | None]:
    """mAP50 per class and over classes, on every labelled frame scored, all clips pooled."""
    names: list[str] = []
    for r in results:
        names.extend(n for n in r.clip.meta.classes if n not in names)
    ground_truth, predictions = [], []
    for r in results:
        remap = np.array([names.index(n) for n in r.clip.meta.classes], np.int32)
        for gt, pred in zip(r.ground_truth, r.predictions):
            ground_truth.append(GroundTruth(gt.xyxy, remap[gt.class_id], gt.width, gt.height))
            predictions.append(Detections(pred.xyxy, pred.confidence, remap[pred.class_id], tuple(names)))
    if not ground_truth:
        return {**{n: None for n in names}, ALL: None}
    metrics = evaluate_detections(ground_truth, predictions, names)
    return {k: None if v is None else round(v, 4) for k, v in metrics.map50.items()}


def clip_row(result: ClipResult) -> dict:
    meta = result.clip.meta

    def tally(type_: EventType) -> dict:
        c = result.counts(type_)
        return {
            "episodes": c.episodes,
            "events": c.events,
            "true_positives": c.true_positives,
            "false_positives": c.false_positives,
            "duplicates": c.duplicates,
            "missed": c.missed,
            "ignored": c.ignored,
        }

    return {
        "clip": result.name,
        "frames": meta.frames,
        "frames_scored": result.frames_scored,
        "start": meta.start.isoformat(),
        "outside_permitted_hours": result.outside_permitted_hours,
        **{t.value: tally(t) for t in EVENT_TYPES},
        "map50": frame_map50([result])[ALL],
        "wall_s": round(result.wall_s, 2),
    }
