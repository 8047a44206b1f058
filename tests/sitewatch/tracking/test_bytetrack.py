"""ByteTrack on scripted scenes: id stability, loss and recovery, class groups, the output contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from sitewatch.config.tracker import TrackerSettings
from sitewatch.tracking import ByteTrack
from sitewatch.types import Detections

NAMES = ("head", "helmet", "person")


def box(cx: float, cy: float, w: float = 40.0, h: float = 40.0) -> tuple[float, float, float, float]:
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def dets(rows: list[tuple[tuple[float, ...], float, str]], names: tuple[str, ...] = NAMES) -> Detections:
    """Rows of (xyxy, confidence, class name)."""
    if not rows:
        return Detections.empty(names)
    return Detections([r[0] for r in rows], [r[1] for r in rows], [names.index(r[2]) for r in rows], names)


def run(tracker: ByteTrack, frames: list[Detections]) -> list[list[int]]:
    return [tracker.update(d).tracker_id.tolist() for d in frames]


# -- stable ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    "velocities",
    [
        [(0, 0)],
        [(0, 0), (0, 0), (0, 0)],
        [(2, 0), (0, 3), (-1, -1)],
        [(8, 0), (0, -8), (6, 6)],  # fast: a fifth of the box width per frame
    ],
)
def test_smoothly_moving_boxes_keep_their_ids(velocities):
    starts = [(100 + 200 * i, 300) for i in range(len(velocities))]
    frames = [
        dets([(box(x + vx * f, y + vy * f), 0.9, "head") for (x, y), (vx, vy) in zip(starts, velocities)])
        for f in range(60)
    ]
    ids = run(ByteTrack(), frames)
    expected = list(range(1, len(velocities) + 1))
    assert all(frame_ids == expected for frame_ids in ids)


@pytest.mark.parametrize(("match_buffer", "tracked_frames"), [(0.0, 1), (0.5, 20)])
def test_match_buffer_keeps_a_small_fast_head_on_its_track(match_buffer, tracked_frames):
    # A 10 px head (a far-field worker at a low scored frame rate) moves 12 px a
    # scored frame: plain IoU with its track's prediction is 0, so after the
    # first frame it is never matched (each new track dies unconfirmed); grown
    # by half its size, it overlaps and keeps id 1 throughout.
    frames = [dets([(box(100 + 12 * f, 300, 10, 10), 0.9, "head")]) for f in range(20)]
    ids = run(ByteTrack(TrackerSettings(match_buffer=match_buffer)), frames)
    assert sum(frame_ids == [1] for frame_ids in ids) == tracked_frames
    assert all(frame_ids in ([1], [-1]) for frame_ids in ids)


def walk_at(seconds_apart: float, step: float, frames: int = 12) -> list[tuple[Detections, datetime]]:
    """A 10 px head moving ``step`` px a scored frame, frames ``seconds_apart`` apart."""
    t0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    return [
        (dets([(box(100 + step * f, 300, 10, 10), 0.9, "head")]), t0 + timedelta(seconds=seconds_apart * f))
        for f in range(frames)
    ]


@pytest.mark.parametrize(
    ("seconds_apart", "per_s", "with_times", "tracked_frames"),
    [
        # A walker's head, 10 px, moves 30 px between frames scored 1 s apart.
        (1.0, 0.0, True, 1),  # buffer 0.3 of the box: never matched again
        (1.0, 1.5, True, 12),  # 0.3 + 1.5 * 1 s = 1.8: one track throughout
        (1.0, 1.5, False, 1),  # no frame times: the buffer cannot grow
        # Frames 10 s apart (a camera that dropped out): growth stops at 2 s of
        # gap, 0.3 + 0.5 * 2 = 1.3, too little for 30 px (1.75 needed for IoU
        # 0.2); grown for all 10 s (5.3) it would join anything near.
        (10.0, 0.5, True, 1),
    ],
)
def test_match_buffer_grows_with_the_time_between_scored_frames(
    seconds_apart, per_s, with_times, tracked_frames
):
    tracker = ByteTrack(TrackerSettings(match_buffer=0.3, match_buffer_per_s=per_s))
    ids = [
        tracker.update(d, at if with_times else None).tracker_id.tolist()
        for d, at in walk_at(seconds_apart, 30.0)
    ]
    assert sum(frame_ids == [1] for frame_ids in ids) == tracked_frames


@pytest.mark.parametrize("dy", [0, 10, 30])
def test_two_crossing_objects_keep_their_ids(dy):
    # Two workers walk towards each other and pass; at the crossing their boxes coincide
    # and only the motion model can tell them apart.
    frames = []
    for f in range(60):
        a = box(100 + 5 * f, 200, 40, 80)
        b = box(400 - 5 * f, 200 + dy, 40, 80)
        frames.append(dets([(a, 0.9, "person"), (b, 0.9, "person")]))
    ids = run(ByteTrack(), frames)
    assert all(frame_ids == [1, 2] for frame_ids in ids)


# -- lost and found -----------------------------------------------------------

BUFFER = 5


@pytest.mark.parametrize(
    ("gap", "velocity", "same_id"),
    [
        (1, 0, True),
        (3, 0, True),
        (BUFFER, 0, True),  # missing for exactly the buffer: still kept
        (BUFFER, 2, True),  # the Kalman filter carries a moving box across the gap
        (BUFFER + 1, 0, False),
        (BUFFER + 10, 0, False),
    ],
)
def test_object_missing_for_a_while(gap, velocity, same_id):
    tracker = ByteTrack(TrackerSettings(lost_track_buffer=BUFFER))
    seen = [dets([(box(100 + velocity * f, 100), 0.9, "head")]) for f in range(10)]
    before = run(tracker, seen)
    assert before[-1] == [1]
    run(tracker, [dets([])] * gap)
    back = [dets([(box(100 + velocity * f, 100), 0.9, "head")]) for f in range(10 + gap, 13 + gap)]
    after = run(tracker, back)
    if same_id:
        assert after == [[1], [1], [1]]
    else:
        # A fresh track: unconfirmed on its first frame, then a new id.
        assert after == [[-1], [2], [2]]


def test_ids_increase_and_are_never_reused():
    tracker = ByteTrack(TrackerSettings(lost_track_buffer=2))
    seen_ids: list[int] = []
    for start in range(4):
        # One object at a time, each gone long enough for its track to be deleted.
        frames = [dets([(box(100, 100), 0.9, "head")])] * 3 + [dets([])] * 4
        for frame_ids in run(tracker, frames):
            seen_ids += [i for i in frame_ids if i != -1]
    assert sorted(set(seen_ids)) == [1, 2, 3, 4]
    assert seen_ids == sorted(seen_ids)


def test_reset_forgets_tracks_and_restarts_ids_at_one():
    tracker = ByteTrack()
    run(tracker, [dets([(box(100, 100), 0.9, "head"), (box(300, 100), 0.9, "head")])] * 3)
    tracker.reset()
    # After a reset the next frame is a first frame again: confirmed at once, from id 1.
    ids = run(tracker, [dets([(box(500, 500), 0.9, "person")])] * 2)
    assert ids == [[1], [1]]


# -- confirmation of new tracks ----------------------------------------------


def test_first_frame_confirms_at_once_later_tracks_need_a_second_match():
    a, b = box(100, 100), box(300, 100)
    frames = [dets([(a, 0.9, "head")]), dets([(a, 0.9, "head"), (b, 0.9, "head")])] + [
        dets([(a, 0.9, "head"), (b, 0.9, "head")])
    ] * 2
    assert run(ByteTrack(), frames) == [[1], [1, -1], [1, 2], [1, 2]]


def test_empty_first_frame_means_later_tracks_wait_for_confirmation():
    frames = [dets([])] + [dets([(box(100, 100), 0.9, "head")])] * 2
    assert run(ByteTrack(), frames) == [[], [-1], [1]]


def test_one_frame_flash_uses_up_no_id():
    a, b = box(100, 100), box(300, 300)
    frames = [dets([(a, 0.9, "head")])] * 2 + [dets([(a, 0.9, "head"), (b, 0.9, "helmet")])]
    frames += [dets([(a, 0.9, "head")])] + [dets([(a, 0.9, "head"), (box(500, 100), 0.9, "person")])] * 2
    assert run(ByteTrack(), frames) == [[1], [1], [1, -1], [1], [1, -1], [1, 2]]


@pytest.mark.parametrize(
    ("confidence", "starts"),
    [(0.95, True), (0.7, True), (0.65, False), (0.55, False), (0.3, False)],
)
def test_only_boxes_at_new_track_threshold_start_tracks(confidence, starts):
    settings = TrackerSettings(high_threshold=0.5, new_track_threshold=0.7)
    frames = [dets([(box(100, 100), confidence, "head")])] * 4
    ids = run(ByteTrack(settings), frames)
    assert ids == ([[1]] * 4 if starts else [[-1]] * 4)


# -- low-confidence boxes -----------------------------------------------------


@pytest.mark.parametrize(
    ("confidences", "expected"),
    [
        # A track once started is continued by low boxes (occlusion, blur) ...
        ([0.9, 0.9, 0.3, 0.2, 0.15, 0.9], [1, 1, 1, 1, 1, 1]),
        # ... but low boxes never start one, however long they last ...
        ([0.3] * 6, [-1] * 6),
        # ... and a high box after them is a new (unconfirmed, not first-frame) track.
        ([0.3, 0.3, 0.9, 0.9], [-1, -1, -1, 1]),
        # Below low_threshold a box is ignored; the track is lost, then found again.
        ([0.9, 0.05, 0.05, 0.9], [1, -1, -1, 1]),
    ],
)
def test_low_confidence_boxes_continue_tracks_but_never_start_them(confidences, expected):
    frames = [dets([(box(100 + 2 * f, 100), c, "head")]) for f, c in enumerate(confidences)]
    assert [ids[0] for ids in run(ByteTrack(), frames)] == expected


def test_low_box_needs_more_overlap_than_high_box():
    # IoU of the shifted box with the track is about 0.33: enough for a high box
    # (match_iou 0.2), not for a low one (low_match_iou 0.5).
    base = [dets([(box(100, 100), 0.9, "head")])] * 3
    high = run(ByteTrack(), base + [dets([(box(120, 100), 0.9, "head")])])
    low = run(ByteTrack(), base + [dets([(box(120, 100), 0.3, "head")])])
    assert high[-1] == [1]
    assert low[-1] == [-1]


# -- class groups -------------------------------------------------------------


@pytest.mark.parametrize(
    "classes",
    [
        ["head", "helmet"] * 5,
        ["helmet", "helmet", "head", "helmet", "head", "head", "helmet"],
        ["head"] * 3 + ["helmet"] * 3,
    ],
)
def test_head_helmet_flicker_keeps_the_id(classes):
    frames = [dets([(box(100 + f, 100), 0.9, name)]) for f, name in enumerate(classes)]
    assert run(ByteTrack(), frames) == [[1]] * len(classes)


def test_head_and_person_at_the_same_place_never_share_an_id():
    same = box(100, 100, 60, 60)
    together = run(ByteTrack(), [dets([(same, 0.9, "head"), (same, 0.9, "person")])] * 5)
    assert all(ids == [1, 2] for ids in together)

    # A person box that vanishes and a head box that takes its exact place:
    # the head must start its own track, not inherit the person's id.
    frames = [dets([(same, 0.9, "person")])] * 3 + [dets([(same, 0.9, "head")])] * 3
    assert run(ByteTrack(), frames) == [[1], [1], [1], [-1], [2], [2]]


def test_class_outside_every_group_forms_its_own_group():
    names = ("head", "helmet", "person", "vest")
    same = box(100, 100)
    frames = [dets([(same, 0.9, "vest")], names)] * 2 + [dets([(same, 0.9, "head")], names)] * 2
    assert run(ByteTrack(), frames) == [[1], [1], [-1], [2]]


def test_groups_are_matched_by_name_not_by_class_index():
    # Two models listing the same classes in a different order: the head track
    # continues across them because groups are looked up by name.
    other = ("person", "helmet", "head")
    tracker = ByteTrack()
    first = run(tracker, [dets([(box(100, 100), 0.9, "head")])] * 2)
    second = run(tracker, [dets([(box(100, 100), 0.9, "helmet")], other)] * 2)
    assert first + second == [[1]] * 4


@pytest.mark.parametrize(
    ("groups", "error"),
    [
        ((("head", "helmet"), ("helmet",)), ValueError),
        (("head", "helmet"), TypeError),  # strings, not groups
    ],
)
def test_bad_class_groups_are_refused(groups, error):
    with pytest.raises(error):
        ByteTrack(class_groups=groups)


# -- the output contract ------------------------------------------------------


def random_frames(seed: int, count: int) -> list[Detections]:
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(count):
        n = int(rng.integers(0, 12))
        xy = rng.uniform(0, 600, (n, 2))
        wh = rng.uniform(0, 80, (n, 2))  # includes near-zero sizes
        frames.append(
            Detections(np.hstack([xy, xy + wh]), rng.uniform(0, 1, n), rng.integers(0, 3, n), NAMES)
        )
    return frames


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_output_rows_equal_input_rows_with_tracker_id_added(seed):
    tracker = ByteTrack()
    for frame in random_frames(seed, 40):
        out = tracker.update(frame)
        assert out is not frame
        assert out.class_names == frame.class_names
        assert np.array_equal(out.xyxy, frame.xyxy)
        assert np.array_equal(out.confidence, frame.confidence)
        assert np.array_equal(out.class_id, frame.class_id)
        assert out.tracker_id is not None
        assert out.tracker_id.dtype == np.int64
        assert len(out.tracker_id) == len(frame)
        assert ((out.tracker_id == -1) | (out.tracker_id >= 1)).all()
        tracked = out.tracker_id[out.tracker_id > 0]
        assert len(np.unique(tracked)) == len(tracked), "one id per frame at most once"
        # Boxes below low_threshold are never tracked.
        assert (out.tracker_id[frame.confidence < tracker.settings.low_threshold] == -1).all()


def test_input_is_not_mutated():
    frames = random_frames(7, 20)
    frames.append(frames[-1].with_tracker_id(np.full(len(frames[-1]), 99)))  # stale ids on input
    copies = [(f.xyxy.copy(), f.confidence.copy(), f.class_id.copy(), f.tracker_id) for f in frames]
    tracker = ByteTrack()
    for frame in frames:
        tracker.update(frame)
    for frame, (xyxy, conf, cls, tid) in zip(frames, copies):
        assert np.array_equal(frame.xyxy, xyxy)
        assert np.array_equal(frame.confidence, conf)
        assert np.array_equal(frame.class_id, cls)
        if tid is None:
            assert frame.tracker_id is None
        else:
            assert (frame.tracker_id == 99).all()


@pytest.mark.parametrize("names", [NAMES, ()])
def test_empty_detections(names):
    tracker = ByteTrack()
    out = tracker.update(Detections.empty(names))
    assert len(out) == 0
    assert out.tracker_id is not None and out.tracker_id.dtype == np.int64


def test_empty_frames_in_between_lose_and_recover_tracks():
    a = dets([(box(100, 100), 0.9, "head"), (box(300, 100), 0.9, "person")])
    frames = [a, a, dets([]), dets([]), a]
    assert run(ByteTrack(), frames) == [[1, 2], [1, 2], [], [], [1, 2]]


def test_trackers_are_independent():
    a, b = ByteTrack(), ByteTrack()
    run(a, [dets([(box(100, 100), 0.9, "head")])] * 3)
    assert run(b, [dets([(box(500, 100), 0.9, "head")])]) == [[1]]


def test_settings_refuse_low_threshold_above_high():
    with pytest.raises(ValidationError, match="low_threshold"):
        TrackerSettings(high_threshold=0.4, low_threshold=0.6)


# -- lost tracks: the matching cascade and observation-centric recovery --------


@pytest.mark.parametrize(("recovery", "ids_after"), [(True, [[1]] * 4), (False, [[-1], [2], [2], [2]])])
def test_a_worker_who_stops_while_missed_keeps_his_id_with_recovery(recovery, ids_after):
    # Walking 10 px a frame, missed for 4 frames, during which he stopped: the
    # prediction ran 40 px on (no overlap with a 20 px head); his last box is where he is.
    tracker = ByteTrack(TrackerSettings(recovery=recovery))
    walking = [dets([(box(100 + 10 * f, 100, 20, 20), 0.9, "head")]) for f in range(10)]
    assert run(tracker, walking)[-1] == [1]
    run(tracker, [dets([])] * 4)
    stopped = [dets([(box(192, 100, 20, 20), 0.9, "head")])] * 4
    assert run(tracker, stopped) == ids_after


def test_a_lost_tracks_drifting_prediction_does_not_take_a_tracked_workers_box():
    # A walks right and is lost after frame 5; his prediction drifts on 10 px a frame.
    # B walks left and stops at x=150 at frame 11, just where A's prediction passes
    # at frame 15. B is tracked all along and keeps his id.
    tracker = ByteTrack()
    for f in range(25):
        rows = [(box(max(260 - 10 * f, 150), 100, 20, 20), 0.9, "head")]
        if f <= 5:
            rows.insert(0, (box(10 * f, 100, 20, 20), 0.9, "head"))
        ids = tracker.update(dets(rows)).tracker_id.tolist()
        assert ids[-1] == 2, f"frame {f}: B's box went to track {ids[-1]}"
