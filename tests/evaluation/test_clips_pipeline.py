"""The clip evaluation end to end through the service's pipeline, with a detector that returns the labels.

With perfect boxes the real tracker and rules must raise exactly one alert per
ground-truth episode; anything else is a fault of the harness (format, clip
maker, capture of the change stream, matching), not of a model.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from clipdata import SHORT_RULES
from sitewatch.config import Settings
from sitewatch.evaluation.clips import ClipsEvaluation, EventRecorder, run_clip
from sitewatch.evaluation.clips_format import LabelledClip, find_clips, read_clip
from sitewatch.events import ChangeKind, Event, EventChange, EventType, Evidence
from sitewatch.types import Detections

# Without the motion gate, whose first frame after each cut confirms nothing:
# these tests pin the harness's exact delays (the gate has its own tests).
SETTINGS = Settings(rules=SHORT_RULES, motion={"enabled": False})


class LabelDetector:
    """Returns the clip's labelled boxes for each frame in turn (every frame, in order: stride 1)."""

    model_name = "labels"
    model_sha256 = "0" * 64
    engine = "labels"
    streams = 1  # it counts calls: frames must come one at a time, in order

    def __init__(self, clip: LabelledClip):
        self.clip = clip
        self.frame = 0

    def detect(self, image: np.ndarray) -> Detections:
        labels = self.clip.labels.frames.get(self.frame)
        self.frame += 1
        if labels is None:
            return Detections.empty(self.clip.meta.classes)
        return Detections(labels.xyxy, np.full(len(labels), 0.9), labels.class_id, self.clip.meta.classes)


@pytest.fixture(scope="module")
def evaluation(made_clips, tmp_path_factory) -> ClipsEvaluation:
    work = tmp_path_factory.mktemp("work")
    results = []
    for folder in find_clips(made_clips):
        clip = read_clip(folder)
        results.append(run_clip(clip, SETTINGS, LabelDetector(clip), work / clip.name))
    return ClipsEvaluation(tuple(results), "labels", "0" * 64, "labels")


def test_perfect_boxes_give_one_alert_per_episode(evaluation):
    report = evaluation.as_dict()
    no_helmet = report["no_helmet"]
    assert (no_helmet["episodes"], no_helmet["events"], no_helmet["true_positives"]) == (4, 4, 4)
    assert no_helmet["precision"] == no_helmet["recall"] == no_helmet["f1"] == 1.0
    assert no_helmet["duplicates_per_episode"] == 1.0 and no_helmet["multi_alert_share"] == 0.0
    # k = 3 of m = 5 at 5 fps: the third flag opens the event, 2 frames (0.4 s) after the first. A track
    # born after the tracker's first frame is confirmed on its second frame: one frame (0.2 s) later.
    delays = sorted(round(d, 3) for r in evaluation.results for d in r.alert_delays_s(EventType.NO_HELMET))
    assert delays == [0.4, 0.4, 0.6, 0.6]
    late = report["out_of_hours"]
    assert (late["episodes"], late["events"], late["true_positives"], late["false_positives"]) == (1, 1, 1, 0)
    # Persistence 1 s from the first sighting, which is frame 0 (out of hours counts untracked boxes too).
    assert late["time_to_alert_s"]["median"] == pytest.approx(1.0)
    assert report["map50"]["all"] == 1.0


def test_clip_rows_follow_the_clips(evaluation):
    rows = evaluation.as_dict()["clips"]
    assert [r["clip"] for r in rows] == ["clip-000", "clip-001"]
    assert [r["outside_permitted_hours"] for r in rows] == [True, False]
    assert rows[1]["out_of_hours"]["events"] == 0
    assert all(r["frames"] == r["frames_scored"] == 20 for r in rows)


def test_opening_frame_comes_from_the_change_stream_not_the_back_dated_start(evaluation):
    for result in evaluation.results:
        for event in result.events:
            assert event.open_frame > event.start_frame  # the event was back-dated to its first sighting
            if event.type is EventType.NO_HELMET:
                assert event.key_boxes[0][0] == event.open_frame


def test_recorder_keeps_the_opening_frame_and_box_and_the_final_evidence():
    start = datetime(2026, 5, 5, 23, 0, tzinfo=UTC)
    image = np.zeros((4, 4, 3), np.uint8)

    def event(end_frame: int, evidence_frame: int, box, closed=False) -> Event:
        evidence = Evidence(evidence_frame, start + timedelta(seconds=evidence_frame), box, 0.8, image)
        return Event(
            "e1",
            EventType.NO_HELMET,
            "cam",
            start,
            start + timedelta(seconds=end_frame),
            3,
            end_frame,
            evidence,
            track_id=4,
            closed=closed,
        )

    recorder = EventRecorder()
    recorder([EventChange(ChangeKind.OPENED, event(5, 5, (1, 1, 9, 9)))])
    recorder([EventChange(ChangeKind.UPDATED, event(9, 8, (2, 2, 9, 9)))])
    recorder([EventChange(ChangeKind.CLOSED, event(12, 8, (2, 2, 9, 9), closed=True))])
    (recorded,) = recorder.events()
    assert (recorded.start_frame, recorded.end_frame, recorded.open_frame) == (3, 12, 5)
    assert recorded.key_boxes == ((5, (1, 1, 9, 9)), (8, (2, 2, 9, 9)))
