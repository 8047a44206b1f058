"""The event <-> episode matcher on hand-made timelines with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.evaluation.clips import summarise
from sitewatch.evaluation.clips_format import ClipLabels, FrameLabels
from sitewatch.evaluation.matching import Episode, MatchCounts, Outcome, PredictedEvent, match_events
from sitewatch.events import EventType

NH, OOH = EventType.NO_HELMET, EventType.OUT_OF_HOURS
TP, DUP, FP, IGN = Outcome.TRUE_POSITIVE, Outcome.DUPLICATE, Outcome.FALSE_POSITIVE, Outcome.IGNORED

# Person 1's bare head sits at (100, 100, 130, 130) and person 2's at (300, 100, 330, 130), frames 0..99.
HEAD_1, HEAD_2, ELSEWHERE = (100, 100, 130, 130), (300, 100, 330, 130), (500, 300, 530, 330)
BOXES = {1: HEAD_1, 2: HEAD_2}


def person_box(person: int, frame: int):
    return np.asarray(BOXES[person], np.float32) if person in BOXES and 0 <= frame < 100 else None


def nh(start: int, end: int, opened: int, box=HEAD_1, event_id: str | None = None) -> PredictedEvent:
    return PredictedEvent(event_id or f"nh-{start}-{opened}", NH, start, end, opened, ((opened, box),))


def ooh(start: int, end: int, opened: int) -> PredictedEvent:
    return PredictedEvent(f"ooh-{start}-{opened}", OOH, start, end, opened)


def episode_nh(start: int, end: int, person: int = 1, difficult: bool = False) -> Episode:
    return Episode(NH, start, end, person, difficult)


CASES = {
    # name: (episodes, events, expected outcome per event, expected alerts per episode)
    "exact match": ([episode_nh(10, 40)], [nh(10, 40, 12)], [TP], [(0,)]),
    "split event: one episode, two events": (
        [episode_nh(10, 60)],
        [nh(10, 30, 12), nh(40, 60, 42)],
        [TP, DUP],
        [(0, 1)],
    ),
    "three alerts for one episode": (
        [episode_nh(10, 60)],
        [nh(10, 20, 12), nh(25, 35, 27), nh(40, 60, 42)],
        [TP, DUP, DUP],
        [(0, 1, 2)],
    ),
    "false alarm: no episode at that time": ([episode_nh(10, 20)], [nh(50, 60, 52)], [FP], [()]),
    "missed episode: no event": (
        [episode_nh(10, 20), episode_nh(30, 40, 2)],
        [nh(10, 20, 12)],
        [TP],
        [(0,), ()],
    ),
    "spatial mismatch: right time, wrong place": (
        [episode_nh(10, 40)],
        [nh(10, 40, 12, ELSEWHERE)],
        [FP],
        [()],
    ),
    "wrong person: the other worker's head": (
        [episode_nh(10, 40, person=1)],
        [nh(10, 40, 12, HEAD_2)],
        [FP],
        [()],
    ),
    "type mismatch": ([episode_nh(10, 40)], [ooh(10, 40, 12)], [FP], [()]),
    "two workers at once, one event each": (
        [episode_nh(10, 40, 1), episode_nh(10, 40, 2)],
        [nh(10, 40, 12, HEAD_2, "b"), nh(10, 40, 13, HEAD_1, "a")],
        [TP, TP],
        [(1,), (0,)],
    ),
    "difficult episode: an alert is ignored, no alert is no miss": (
        [episode_nh(10, 12, difficult=True), episode_nh(50, 52, 2, difficult=True)],
        [nh(10, 12, 12)],
        [IGN],
        [(0,), ()],
    ),
    "out of hours: time overlap alone matches": (
        [Episode(OOH, 0, 299)],
        [ooh(0, 150, 150), ooh(200, 299, 260)],
        [TP, DUP],
        [(0, 1)],
    ),
    "out of hours: event after the episode ended": ([Episode(OOH, 0, 100)], [ooh(150, 200, 180)], [FP], [()]),
}


@pytest.mark.parametrize(("episodes", "events", "outcomes", "alerts"), CASES.values(), ids=CASES.keys())
def test_known_timelines(episodes, events, outcomes, alerts):
    matching = match_events(episodes, events, person_box)
    assert list(matching.outcome) == outcomes
    assert list(matching.alerts) == alerts


def test_late_alert_time_is_measured_from_episode_start_to_the_first_opening():
    # The second alert opened first (frame 25): the episode's time to alert is 25 - 10 frames.
    matching = match_events(
        [episode_nh(10, 80)], [nh(30, 80, 45, event_id="late"), nh(12, 28, 25, event_id="early")], person_box
    )
    assert matching.primary == (1,)
    assert list(matching.outcome) == [DUP, TP]
    counts = matching.counts(NH)
    assert counts.alert_delays_frames == (15,)
    assert (counts.true_positives, counts.duplicates, counts.detected, counts.multi_alerted) == (1, 1, 1, 1)


def test_the_pairing_finds_the_most_matches_not_the_first_fit():
    # Event A could match either episode, event B only the first: A must take the second.
    episodes = [Episode(OOH, 0, 100), Episode(OOH, 90, 200)]
    a, b = ooh(50, 150, 60), ooh(0, 40, 30)
    matching = match_events(episodes, [a, b])
    assert list(matching.outcome) == [TP, TP]
    assert matching.episode_of == (1, 0)


def test_a_key_box_at_the_evidence_frame_matches_when_the_opening_box_does_not():
    event = PredictedEvent("e", NH, 10, 40, 12, ((12, ELSEWHERE), (30, HEAD_1)))
    assert match_events([episode_nh(10, 40)], [event], person_box).outcome == (TP,)


def test_iou_threshold_is_inclusive_of_0_3_and_exclusive_below():
    # A 30x30 head against a box shifted right by d px: IoU = (30 - d) / (30 + d).
    d_ok, d_bad = 16, 17  # IoU 14/46 = 0.304 and 13/47 = 0.277
    for d, outcome in ((d_ok, TP), (d_bad, FP)):
        box = (100 + d, 100, 130 + d, 130)
        assert match_events([episode_nh(0, 50)], [nh(0, 50, 5, box)], person_box).outcome == (outcome,)


def test_interpolated_head_box_between_sparse_labels():
    # Labelled at frames 0 and 10 only; at frame 5 the head is half-way.
    labels = ClipLabels(
        ("head",),
        {
            0: FrameLabels(np.array([[0, 0, 20, 20]]), [0], [7]),
            10: FrameLabels(np.array([[100, 0, 120, 20]]), [0], [7]),
        },
    )
    np.testing.assert_allclose(labels.bare_head_box(7, 5), [50, 0, 70, 20])
    assert labels.bare_head_box(7, 11) is None and labels.bare_head_box(8, 5) is None
    event = PredictedEvent("e", NH, 3, 8, 5, ((5, (50, 0, 70, 20)),))
    episode = Episode(NH, 0, 10, 7)
    assert match_events([episode], [event], labels.bare_head_box).outcome == (TP,)
    stale = PredictedEvent("e", NH, 3, 8, 5, ((5, (0, 0, 20, 20)),))  # where the head was, not where it is
    assert match_events([episode], [stale], labels.bare_head_box).outcome == (FP,)


def test_summary_figures():
    counts = MatchCounts(
        episodes=10,
        events=12,
        true_positives=8,
        false_positives=2,
        duplicates=2,
        ignored=0,
        detected=8,
        multi_alerted=1,
        alert_delays_frames=(),
    )
    summary = summarise(counts, [0.4, 0.6, 0.8, 3.0])
    assert summary["precision"] == 0.8 and summary["recall"] == 0.8 and summary["f1"] == 0.8
    assert summary["duplicates_per_episode"] == 1.25  # 10 alerts for 8 detected episodes
    assert summary["multi_alert_share"] == 0.125
    assert summary["missed"] == 2
    assert summary["time_to_alert_s"]["median"] == 0.7
    assert summary["time_to_alert_s"]["p95"] == pytest.approx(2.67, abs=0.01)


def test_summary_of_nothing_is_undefined_not_zero():
    summary = summarise(MatchCounts(), [])
    assert summary["precision"] is None and summary["recall"] is None and summary["f1"] is None
    assert summary["duplicates_per_episode"] is None and summary["time_to_alert_s"] == {
        "median": None,
        "p95": None,
    }


def test_counts_add_up_over_clips():
    a = MatchCounts(
        episodes=2, events=3, true_positives=2, duplicates=1, detected=2, alert_delays_frames=(3, 4)
    )
    b = MatchCounts(episodes=1, events=1, false_positives=1, alert_delays_frames=(5,))
    total = a + b
    assert (total.episodes, total.events, total.false_positives, total.missed) == (3, 4, 1, 1)
    assert total.alert_delays_frames == (3, 4, 5)
