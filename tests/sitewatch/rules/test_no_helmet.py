"""The no-helmet rule's state machine on scripted, already-tracked detections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sitewatch.config.rules import NoHelmetSettings
from sitewatch.events import ChangeKind, EventType
from sitewatch.rules.no_helmet import NoHelmetRule
from sitewatch.types import Detections, Frame

NAMES = ("head", "helmet", "person")
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
IMAGE = np.zeros((64, 64, 3), np.uint8)
A = (10.0, 10.0, 20.0, 20.0)  # one worker's head
B = (40.0, 40.0, 50.0, 50.0)  # another worker, far away


def frame(i: int, fps: float = 1.0) -> Frame:
    return Frame("cam1", IMAGE, T0 + timedelta(seconds=i / fps), i)


def dets(rows: list[tuple[tuple[float, ...], int, float, str]]) -> Detections:
    if not rows:
        return Detections.empty(NAMES).with_tracker_id(np.zeros(0))
    return Detections(
        [r[0] for r in rows],
        [r[2] for r in rows],
        [NAMES.index(r[3]) for r in rows],
        NAMES,
        [r[1] for r in rows],
    )


def run(script: dict[int, list], frames: int, settings: NoHelmetSettings, fps: float = 1.0):
    """Feed ``frames`` scored frames; ``script[i]`` lists (box, track, conf, class) rows."""
    rule = NoHelmetRule("cam1", settings)
    changes = []
    for i in range(frames):
        changes += [(i, c) for c in rule.update(frame(i, fps), dets(script.get(i, [])))]
    changes += [(frames, c) for c in rule.close_all(T0, frames)]
    events = {}
    for _, c in changes:
        events[c.event.event_id] = c.event
    return changes, events


def head(box, track, conf=0.9):
    return (box, track, conf, "head")


@pytest.mark.parametrize(
    ("flagged", "k", "m", "opens_at"),
    [
        ([0, 1], 3, 5, None),  # too few flags
        ([0, 1, 2], 3, 5, 2),  # three in a row
        ([0, 2, 4], 3, 5, 4),  # three of the last five
        ([0, 3, 6], 3, 5, None),  # never three within five
        ([0], 1, 1, 0),  # k = m = 1 alerts at once
        ([0, 1, 2, 3], 4, 4, 3),
    ],
)
def test_k_of_m_decides_when_an_event_opens(flagged, k, m, opens_at):
    settings = NoHelmetSettings(k=k, m=m, close_after_s=100, cooldown_s=0)
    changes, events = run({i: [head(A, 1)] for i in flagged}, 10, settings)
    opened = [i for i, c in changes if c.kind is ChangeKind.OPENED]
    assert opened == ([] if opens_at is None else [opens_at])
    if opens_at is not None:
        (event,) = events.values()
        assert event.start_frame == flagged[0]
        assert event.type is EventType.NO_HELMET and event.track_id == 1


@pytest.mark.parametrize(
    ("seen_until", "close_after_s", "closed_at"),
    [
        (4, 2.0, 6),  # unseen from 5: closes when 2 s have passed since the last sighting at 4
        (4, 3.0, 7),
        (11, 2.0, 12),  # still seen at the end of the clip: closed by close_all at frame 12
    ],
)
def test_event_closes_after_being_unseen(seen_until, close_after_s, closed_at):
    settings = NoHelmetSettings(k=2, m=3, close_after_s=close_after_s, cooldown_s=0)
    script = {i: [head(A, 1)] for i in range(seen_until + 1)}
    changes, events = run(script, 12, settings)
    closed = [i for i, c in changes if c.kind is ChangeKind.CLOSED]
    assert closed == [closed_at]
    (event,) = events.values()
    assert event.closed and event.end == T0 + timedelta(seconds=seen_until)
    assert (event.start_frame, event.end_frame) == (0, seen_until)


@pytest.mark.parametrize(
    ("gap", "new_box", "cooldown_s", "expected_events"),
    [
        (0, A, 30.0, 1),  # id switch while the event is still open: continued
        (5, A, 30.0, 1),  # id switch after the event closed, within the cooldown: continued
        (5, A, 1.0, 2),  # ... after the cooldown: a new event
        (0, B, 30.0, 2),  # a different place is a different worker
        (5, (12.0, 12.0, 22.0, 22.0), 30.0, 1),  # moved a little: IoU still above merge_iou
    ],
)
def test_tracker_id_switch_continues_the_event(gap, new_box, cooldown_s, expected_events):
    settings = NoHelmetSettings(k=2, m=3, close_after_s=2.0, cooldown_s=cooldown_s, merge_iou=0.3)
    script = {i: [head(A, 1)] for i in range(5)}
    script |= {i: [head(new_box, 2)] for i in range(5 + gap, 10 + gap)}
    changes, events = run(script, 12 + gap, settings)
    assert len(events) == expected_events
    opened = [c for _, c in changes if c.kind is ChangeKind.OPENED]
    assert len(opened) == expected_events
    if expected_events == 1:
        (event,) = events.values()
        assert event.start_frame == 0 and event.end_frame == 9 + gap
        assert event.track_id == 2  # carried by the new track now


def test_reopened_event_is_reported_as_updated_not_closed():
    settings = NoHelmetSettings(k=2, m=3, close_after_s=2.0, cooldown_s=30)
    script = {i: [head(A, 1)] for i in range(3)} | {i: [head(A, 2)] for i in range(8, 11)}
    changes, _ = run(script, 12, settings)
    kinds = [(i, c.kind, c.event.closed) for i, c in changes]
    assert (4, ChangeKind.CLOSED, True) in kinds
    reopen = [k for k in kinds if k[0] == 9]
    assert reopen == [(9, ChangeKind.UPDATED, False)]


def test_two_workers_at_once_give_two_events():
    settings = NoHelmetSettings(k=2, m=3)
    script = {i: [head(A, 1), head(B, 2)] for i in range(6)}
    _, events = run(script, 6, settings)
    assert sorted(e.track_id for e in events.values()) == [1, 2]
    assert len({e.event_id for e in events.values()}) == 2


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(A, 1, 0.9, "helmet")], 0),  # a hard hat is no violation
        ([(A, 1, 0.9, "person")], 0),
        ([(A, 1, 0.2, "head")], 0),  # below min_confidence
        ([(A, -1, 0.9, "head")], 0),  # untracked rows do not count
        ([(A, 1, 0.9, "head")], 1),
    ],
)
def test_only_confident_tracked_heads_flag(rows, expected):
    settings = NoHelmetSettings(k=2, m=3, min_confidence=0.4)
    _, events = run({i: rows for i in range(5)}, 5, settings)
    assert len(events) == expected


def test_evidence_is_the_most_confident_sighting():
    settings = NoHelmetSettings(k=2, m=3)
    confs = [0.5, 0.6, 0.95, 0.7, 0.8]
    script = {i: [head(A, 1, c)] for i, c in enumerate(confs)}
    changes, events = run(script, 5, settings)
    (event,) = events.values()
    assert event.confidence == pytest.approx(0.95) and event.evidence.frame_index == 2
    # UPDATED only when the evidence improved: at frame 2 (0.95)
    assert [i for i, c in changes if c.kind is ChangeKind.UPDATED] == [2]


def test_event_id_is_deterministic_and_timezone_aware():
    settings = NoHelmetSettings(k=2, m=3)
    script = {i: [head(A, 1)] for i in range(4)}
    _, first = run(script, 4, settings)
    _, second = run(script, 4, settings)
    assert list(first) == list(second)
    (event,) = first.values()
    assert event.start.tzinfo is not None


def test_disabled_rule_reports_nothing():
    _, events = run({i: [head(A, 1)] for i in range(5)}, 5, NoHelmetSettings(enabled=False))
    assert events == {}


def test_untracked_detections_are_rejected():
    rule = NoHelmetRule("cam1")
    with pytest.raises(ValueError, match="tracked"):
        rule.update(frame(0), Detections.empty(NAMES))


def test_k_greater_than_m_is_a_config_error():
    with pytest.raises(ValueError, match="must not exceed"):
        NoHelmetSettings(k=6, m=5)


@pytest.mark.parametrize(("ended_s_ago", "expected_new"), [(10, 0), (40, 1)])
def test_seeded_events_from_before_a_restart_are_continued(ended_s_ago, expected_new):
    settings = NoHelmetSettings(k=2, m=3, cooldown_s=30)
    before, _ = run({i: [head(A, 1)] for i in range(4)}, 4, settings)
    stored = before[-1][1].event  # the event as the store kept it (closed on shutdown)
    rule = NoHelmetRule("cam1", settings)
    restart_at = stored.end + timedelta(seconds=ended_s_ago)
    rule.seed([stored], restart_at)
    changes = []
    for i in range(5):
        f = Frame("cam1", IMAGE, restart_at + timedelta(seconds=i), 100 + i)
        changes += rule.update(f, dets([head(A, 7)]))
    opened = [c for c in changes if c.kind is ChangeKind.OPENED]
    assert len(opened) == expected_new
    if not expected_new:
        assert changes[0].kind is ChangeKind.UPDATED and changes[0].event.event_id == stored.event_id
        assert not changes[0].event.closed and changes[0].event.end_frame == 101


# -- continuation of a walking worker ----------------------------------------


def walking(x0: float, step: float, frames: range, track: int) -> dict[int, list]:
    """A 10 px head moving ``step`` px to the right per scored frame."""
    return {i: [head((x0 + step * i, 10.0, x0 + step * i + 10, 20.0), track)] for i in frames}


@pytest.mark.parametrize(
    ("step", "gap", "predict_s", "expected_events"),
    [
        (4.0, 2, 2.0, 1),  # lost for 2 frames, found 12 px on (IoU 0 with the last box): continued
        (4.0, 2, 0.0, 2),  # ... without the prediction: a second event
        (4.0, 6, 2.0, 2),  # lost for longer than predict_s lets the box move on: a second event
        (0.0, 2, 2.0, 1),  # standing still: the last box does it
    ],
)
def test_walking_worker_lost_for_a_moment_keeps_his_event(step, gap, predict_s, expected_events):
    # 2 scored frames a second; the new track's first flags come `gap` frames after the old one's last.
    settings = NoHelmetSettings(
        k=2, m=3, close_after_s=5.0, cooldown_s=30, merge_iou=0.3, predict_s=predict_s
    )
    script = walking(100, step, range(8), 1) | walking(100, step, range(8 + gap, 14 + gap), 2)
    _, events = run(script, 16 + gap, settings, fps=2.0)
    assert len(events) == expected_events


def test_a_worker_who_stops_while_lost_is_found_where_he_was_last_seen():
    # The prediction would carry him on; the last box is where he is.
    settings = NoHelmetSettings(k=2, m=3, close_after_s=5.0, cooldown_s=30, merge_iou=0.3, predict_s=2.0)
    script = walking(100, 4, range(8), 1)
    script |= {i: [head((128.0, 10.0, 138.0, 20.0), 2)] for i in range(10, 16)}
    _, events = run(script, 18, settings, fps=2.0)
    assert len(events) == 1


# -- continuation within a worker's reach --------------------------------------


def still(box: tuple[float, float, float, float], frames: range, track: int) -> dict[int, list]:
    return {i: [head(box, track)] for i in frames}


def returning(x_turn: float, step: float, frames: range, track: int) -> dict[int, list]:
    """A 10 px head walking left at ``step`` px per scored frame, at ``x_turn`` in the first of ``frames``."""
    return walking(x_turn + step * frames[0], -step, frames, track)


# The walker of `walking(100, 4, range(8), 1)` is last seen at x 128-138, moving
# right at 8 px (0.8 head widths) a second; 2 scored frames a second.
@pytest.mark.parametrize(
    ("case", "second", "merge_reach", "expected_events"),
    [
        # Turned round while missed: found 12 px behind his last box walking back,
        # 2 s after he was last seen. IoU 0 with the last and the predicted box;
        # reach 0.5 + 2 * 0.8 * 2 = 3.7 widths, capped at 3: continued.
        ("turned round", returning(120, 4, range(10, 16), 2), 3.0, 1),
        ("turned round, reach off", returning(120, 4, range(10, 16), 2), 0.0, 2),
        # Someone 50 px (5 widths) from the walker's last box: beyond the cap.
        ("too far", still((178.0, 10.0, 188.0, 20.0), range(10, 16), 2), 3.0, 2),
        # Found 12 px behind, but 4 s after: past predict_s, where only overlap counts.
        ("too late", returning(120, 4, range(14, 20), 2), 3.0, 2),
    ],
)
def test_a_walking_worker_is_found_again_within_his_reach(case, second, merge_reach, expected_events):
    settings = NoHelmetSettings(
        k=2, m=3, close_after_s=5.0, merge_iou=0.3, predict_s=2.0, merge_reach=merge_reach
    )
    _, events = run(walking(100, 4, range(8), 1) | second, 22, settings, fps=2.0)
    assert len(events) == expected_events, case


@pytest.mark.parametrize(
    ("offset", "expected_events"),
    [
        (4.0, 1),  # 0.4 widths off-centre: within a standing worker's reach (IoU 0.43 too)
        (12.0, 2),  # 1.2 widths off: a standing worker has no reach beyond half a width
    ],
)
def test_a_standing_worker_is_found_again_only_on_his_spot(offset, expected_events):
    settings = NoHelmetSettings(k=2, m=3, close_after_s=5.0, merge_iou=0.3, predict_s=2.0, merge_reach=3.0)
    script = still(A, range(6), 1) | still((A[0] + offset, A[1], A[2] + offset, A[3]), range(7, 12), 2)
    _, events = run(script, 14, settings, fps=2.0)
    assert len(events) == expected_events


def test_the_nearer_of_two_vanished_workers_is_continued():
    # Two walkers 22 px apart are lost at once; the new head lies within both
    # reaches (1.8 and 0.4 widths from their predicted boxes) and continues the nearer.
    settings = NoHelmetSettings(k=2, m=3, close_after_s=5.0, merge_iou=0.3, predict_s=2.0, merge_reach=3.0)
    behind, ahead = walking(100, 4, range(8), 1), walking(122, 4, range(8), 2)
    script = {i: behind[i] + ahead[i] for i in range(8)}
    script |= {i: [head((160.0 + 2 * (i - 10), 10.0, 170.0 + 2 * (i - 10), 20.0), 3)] for i in range(10, 16)}
    changes, events = run(script, 18, settings, fps=2.0)
    assert len(events) == 2
    first_id = {c.event.track_id: c.event.event_id for _, c in changes if c.kind is ChangeKind.OPENED}
    carried_by_3 = {c.event.event_id for _, c in changes if c.event.track_id == 3}
    assert carried_by_3 == {first_id[2]}


def test_a_worker_across_the_spring_dst_change_is_one_event():
    # Berlin frames one real second apart across 02:00 CET -> 03:00 CEST; the worker is
    # missed for two frames around the jump, well inside close_after_s.
    from zoneinfo import ZoneInfo

    berlin, night = ZoneInfo("Europe/Berlin"), datetime(2026, 3, 29, 0, 59, 50, tzinfo=UTC)
    rule = NoHelmetRule("cam1", NoHelmetSettings(k=3, m=5, close_after_s=5, cooldown_s=15))
    changes = []
    for i in range(30):
        at = (night + timedelta(seconds=i)).astimezone(berlin)
        rows = [] if i in (9, 10) else [head(A, 1)]
        changes += rule.update(Frame("cam1", IMAGE, at, i), dets(rows))
    changes += rule.close_all(night + timedelta(seconds=30), 30)
    kinds = [c.kind for c in changes if c.kind is not ChangeKind.UPDATED]
    assert kinds == [ChangeKind.OPENED, ChangeKind.CLOSED], kinds
    (event,) = {c.event.event_id: c.event for c in changes}.values()
    assert (event.end - event.start).total_seconds() == 29
