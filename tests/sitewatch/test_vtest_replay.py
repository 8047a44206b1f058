"""The demo camera's pipeline on the shipped model's real boxes for vtest.avi.

The boxes (``data/vtest-boxes.jsonl.gz``, recorded by
``scripts/record_vtest_boxes.py``) are replayed through the pipeline that
``make demo`` builds from examples/demo.yaml: twin filter, tracker, fixture
filter, motion gate, zones and rules, with the clip's own frames (the motion
gate compares pixels; skipped where the clip is absent: ``make test`` fetches
it). That checks, in seconds and without the model,
what the demo promises: people who cross the clip bareheaded become about one
``no_helmet`` event per appearance, and the traffic cones the model takes for
helmets raise nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest
from sitewatch.models import default_model_path
from testdata import DEMO_VIDEO, REPO

from sitewatch.config import load_settings
from sitewatch.events import Event, EventType
from sitewatch.types import Detections, Frame
from sitewatch.wiring import camera_context, make_pipeline_factory

BOXES = REPO / "tests" / "sitewatch" / "data" / "vtest-boxes.jsonl.gz"
PEOPLE = json.loads((REPO / "datasets" / "vtest-people.json").read_text())
LOOKALIKES = json.loads((REPO / "datasets" / "vtest-lookalikes.json").read_text())["regions"]
START = datetime.fromisoformat("2026-05-04T10:00:00+02:00")  # a Monday morning: within the site's hours
FPS = 10.0  # vtest.avi's frame rate


@dataclass(frozen=True)
class Replay:
    header: dict
    events: list[Event]
    sightings: dict[str, np.ndarray]  # event id -> (N, 4) flagged head boxes of its tracks while it was open
    kept_on: dict[str, list[int]]  # look-alike -> frames where the pipeline kept a head/helmet box on it


def _inside(xyxy: np.ndarray, region: list[int]) -> np.ndarray:
    cx, cy = (xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2
    return (cx >= region[0]) & (cx <= region[2]) & (cy >= region[1]) & (cy <= region[3])


@pytest.fixture(scope="module")
def replay() -> Replay:
    """Every frame, as ``make demo`` scores the clip."""
    return _replay(stride=1)


@pytest.fixture(scope="module")
def replay_live() -> Replay:
    """Every 10th frame: the camera's ``fps: 1``, as ``make demo`` then serves it live."""
    return _replay(stride=10)


def _recorded() -> tuple[dict, list[dict]]:
    """The recorded boxes' header and per-frame lines."""
    with gzip.open(BOXES, "rt") as fh:
        header, *rows = (json.loads(line) for line in fh)
    return header, rows


def _replay(stride: int) -> Replay:
    if not DEMO_VIDEO.exists():
        pytest.skip(f"demo clip {DEMO_VIDEO} absent (make demo and make test fetch it)")
    header, rows = _recorded()
    settings = load_settings(REPO / "examples" / "demo.yaml")
    pipeline = make_pipeline_factory(settings, camera_context(settings, header["camera"]))(header["camera"])
    names = ("head", "helmet", "person")
    video = cv2.VideoCapture(str(DEMO_VIDEO))
    changes = []
    kept_on: dict[str, list[int]] = {name: [] for name in LOOKALIKES}
    head_boxes: dict[int, list[tuple[int, np.ndarray]]] = {}  # track id -> (frame, box) of its flags
    for row in rows:
        ok, image = video.read()
        assert ok, f"{DEMO_VIDEO}: cannot read frame {row['frame']}"
        if row["frame"] % stride:
            continue
        boxes = row["boxes"]
        detections = (
            Detections(
                [b[:4] for b in boxes], [b[4] for b in boxes], [names.index(b[5]) for b in boxes], names
            )
            if boxes
            else Detections.empty(names)
        )
        frame = Frame(header["camera"], image, START + timedelta(seconds=row["frame"] / FPS), row["frame"])
        processed = pipeline.process(frame, detections)
        changes += processed.changes
        heads = processed.detections[processed.detections.class_mask("head", "helmet")]
        flags = heads[
            heads.class_mask("head") & (heads.confidence >= settings.rules.no_helmet.min_confidence)
        ]
        for box, track in zip(flags.xyxy, flags.tracker_id, strict=True):
            head_boxes.setdefault(int(track), []).append((row["frame"], box))
        for name, region in LOOKALIKES.items():
            if _inside(heads.xyxy, region).any():
                kept_on[name].append(row["frame"])
    video.release()
    changes += pipeline.close()
    final = {c.event.event_id: c.event for c in changes}
    events = [e for e in final.values() if e.type is EventType.NO_HELMET]
    tracks: dict[str, set[int]] = {}
    for change in changes:
        tracks.setdefault(change.event.event_id, set()).add(change.event.track_id)
    sightings = {
        e.event_id: np.array(
            [
                box
                for track in tracks[e.event_id]
                for frame, box in head_boxes.get(track, [])
                if e.start_frame <= frame <= e.end_frame
            ],
            np.float32,
        ).reshape(-1, 4)
        for e in events
    }
    return Replay(header, events, sightings, kept_on)


def test_the_recorded_boxes_are_the_shipped_models():
    with gzip.open(BOXES, "rt") as fh:
        header = json.loads(fh.readline())
    shipped = hashlib.sha256(default_model_path().read_bytes()).hexdigest()
    assert header["model_sha256"] == shipped, (
        "tests/sitewatch/data/vtest-boxes.jsonl.gz was recorded with another model: "
        "re-record it with `.venv/bin/python scripts/record_vtest_boxes.py`"
    )
    assert header["frames"] == 795


def test_about_one_no_helmet_event_per_appearance(replay):
    appearances = sum(len(p["intervals"]) for p in PEOPLE["people"])
    assert appearances == 21
    # Measured 27 (2026-12-03 night); 35 before the rule's reach, 44 before the
    # tracker changes of that evening. The 8 people flagged make 17
    # appearances, so far fewer events would mean different people's joined.
    assert 16 <= len(replay.events) <= 30, len(replay.events)


def test_served_at_one_frame_a_second_most_bareheaded_walkers_still_alert(replay_live):
    # A walker's 15 px head moves 2-4 widths between frames a second apart; the
    # demo camera's match buffer grows with that time (match_buffer_per_s), so
    # his track holds for the rule's 3 of 5 frames. Measured 15 events (3
    # without the growth) against 27 scoring every frame, where 8 people are flagged.
    assert 10 <= len(replay_live.events) <= 30, len(replay_live.events)


def test_no_event_is_a_lookalike(replay):
    # A worker may walk past a cone while his event is open (or as it opens);
    # an event whose head stays on a cone most of the time is the cone.
    for event in replay.events:
        boxes = replay.sightings[event.event_id]
        assert len(boxes), f"event {event.event_id}: no sightings replayed"
        for name, region in LOOKALIKES.items():
            share = float(_inside(boxes, region).mean())
            assert share < 0.5, (
                f"event {event.event_id} ({event.start_frame}-{event.end_frame}) on {name}: {share:.0%}"
            )


@pytest.mark.parametrize("lookalike", sorted(LOOKALIKES))
def test_lookalikes_carry_no_lasting_box_once_learned(replay, lookalike):
    # The model boxes the cones from the first frame; the fixture filter learns
    # each one after 20 s standing still. From 30 s on, what remains on a cone
    # is people walking past: never 2 s on end.
    frames = [f for f in replay.kept_on[lookalike] if f >= 30 * FPS]
    longest, run, previous = 0, 0, None
    for f in frames:
        run = run + 1 if previous is not None and f == previous + 1 else 1
        longest, previous = max(longest, run), f
    assert longest < 2 * FPS, f"{lookalike}: a box kept {longest} frames on end"


def test_a_cone_carries_no_box_until_someone_walks_past_it(replay):
    # The motion gate holds back boxes whose track was never seen moving: the
    # cones stand still from the first frame (which, with no background to
    # compare with, holds nothing back). Measured with stage 8 (2026-12-04
    # evening): the first box kept on each cone at frames 230, 207, 85 and 14,
    # each as a passer-by walks in front of it; in the first 20 s, 142 frames
    # with a box on a cone (184 without the gate), after which the fixture
    # filter has learned them. Stage 7: 232 (565).
    cones = {
        name: [f for f in frames if f > 0]
        for name, frames in replay.kept_on.items()
        if name.startswith("cone")
    }
    assert len(cones) == 4
    first = {name: frames[:1] for name, frames in cones.items()}
    assert all(not frames or frames[0] >= 10 for frames in first.values()), first
    assert sum(sum(1 for f in frames if f < 20 * FPS) for frames in cones.values()) <= 300


def test_the_model_leaves_cones_nobody_is_near_alone():
    # The model's own boxes, before any pipeline step. Stage 7 boxed the
    # centre-left and centre cones from frame 0 (2,226 boxes on the four
    # cones); stage 8 boxes them only once people walk past (frames 207 and
    # 85), 844 boxes in all. It still boxes the centre-right cone from frame
    # 12, which the pipeline has to handle (see the test above).
    _, rows = _recorded()
    on_cone: dict[str, list[int]] = {name: [] for name in LOOKALIKES if name.startswith("cone")}
    for row in rows:
        heads = np.array([box[:4] for box in row["boxes"] if box[5] in ("head", "helmet")], np.float32)
        for name in on_cone:
            on_cone[name] += [row["frame"]] * int(_inside(heads.reshape(-1, 4), LOOKALIKES[name]).sum())
    assert min(on_cone["cone centre-left"], default=len(rows)) >= 80, on_cone["cone centre-left"][:5]
    assert min(on_cone["cone centre"], default=len(rows)) >= 80, on_cone["cone centre"][:5]
    assert sum(len(frames) for frames in on_cone.values()) <= 1000
