"""OutOfHoursRule on scripted frame sequences: one event per contiguous out-of-hours episode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from sitewatch.config.permits import PermitSettings
from sitewatch.config.rules import OutOfHoursSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.events import ChangeKind, EventChange, EventType, event_id_for
from sitewatch.rules.out_of_hours import OutOfHoursRule, count_people, event_in_utc
from sitewatch.types import Detections, Frame

BERLIN = ZoneInfo("Europe/Berlin")
CLASSES = ("head", "helmet", "person")
SITE = SiteSettings.model_validate(
    {
        "id": "berlin",
        "name": "Berlin",
        "timezone": "Europe/Berlin",
        "schedule": {"weekly": [{"days": "mon-sat", "hours": "07:00-19:00"}]},
    }
)
SETTINGS = OutOfHoursSettings(persistence_s=10, dropout_s=2, close_after_s=5, update_every_s=1000)
MONDAY_NIGHT = datetime(2025, 11, 3, 23, 30, tzinfo=BERLIN)


def heads(n: int, confidence: float = 0.8) -> Detections:
    """``n`` head boxes side by side, 20 px apart."""
    xyxy = np.array([[20 * i, 100, 20 * i + 10, 110] for i in range(n)], np.float32).reshape(-1, 4)
    return Detections(xyxy, np.full(n, confidence, np.float32), np.zeros(n, np.int32), CLASSES)


def frame(at: datetime, index: int) -> Frame:
    return Frame("cam1", np.zeros((4, 4, 3), np.uint8), at, index)


def run(rule: OutOfHoursRule, start: datetime, people: list[int]) -> list[EventChange]:
    """Feed one frame per second; ``people[i]`` heads in second ``i``; then close_all."""
    changes: list[EventChange] = []
    for i, n in enumerate(people):
        changes += rule.update(frame(start + timedelta(seconds=i), i), heads(n))
    changes += rule.close_all(start + timedelta(seconds=len(people)), len(people))
    return changes


def closed_events(changes: list[EventChange], start: datetime) -> list[tuple[float, float, int]]:
    """(start offset s, end offset s, people) of every CLOSED event."""
    return [
        ((c.event.start - start).total_seconds(), (c.event.end - start).total_seconds(), c.event.people)
        for c in changes
        if c.kind is ChangeKind.CLOSED
    ]


def permit(**fields) -> PermitSettings:
    return PermitSettings.model_validate({"id": "p", "site": "berlin", **fields})


@pytest.mark.parametrize(
    ("name", "start", "people", "permits", "expected"),
    [
        ("inside permitted hours", datetime(2025, 11, 3, 10, 0, tzinfo=BERLIN), [1] * 60, [], []),
        ("a continuous night episode", MONDAY_NIGHT, [1] * 60, [], [(0, 59, 1)]),
        ("shorter than persistence", MONDAY_NIGHT, [1] * 9 + [0] * 20, [], []),
        ("exactly the persistence", MONDAY_NIGHT, [1] * 11 + [0] * 20, [], [(0, 10, 1)]),
        ("short dropouts keep the episode", MONDAY_NIGHT, [1, 0, 1, 1, 0, 1] * 5, [], [(0, 29, 1)]),
        (
            "dropout longer than allowed restarts persistence",
            MONDAY_NIGHT,
            [1] * 8 + [0] * 3 + [1] * 12,
            [],
            [(11, 22, 1)],
        ),
        ("a gap shorter than close_after", MONDAY_NIGHT, [1] * 20 + [0] * 4 + [1] * 20, [], [(0, 43, 1)]),
        ("two episodes", MONDAY_NIGHT, [1] * 20 + [0] * 10 + [2] * 20, [], [(0, 19, 1), (30, 49, 2)]),
        ("most people at once", MONDAY_NIGHT, [1] * 12 + [3] * 5 + [2] * 10, [], [(0, 26, 3)]),
        (
            "Sunday daytime is out of hours",
            datetime(2025, 11, 9, 12, 0, tzinfo=BERLIN),
            [1] * 30,
            [],
            [(0, 29, 1)],
        ),
        # permitted hours begin mid-episode: the event closes at the first permitted frame
        (
            "permitted hours begin",
            datetime(2025, 11, 4, 6, 59, 30, tzinfo=BERLIN),
            [1] * 60,
            [],
            [(0, 29, 1)],
        ),
        # permitted hours end mid-presence: the episode starts at 19:00
        (
            "permitted hours end",
            datetime(2025, 11, 3, 18, 59, 30, tzinfo=BERLIN),
            [1] * 60,
            [],
            [(30, 59, 1)],
        ),
        (
            "a permit starts mid-episode",
            MONDAY_NIGHT,
            [1] * 60,
            [permit(valid_from="2025-11-03T23:30:40+01:00", valid_to="2025-11-04T05:00:00+01:00")],
            [(0, 39, 1)],
        ),
        (
            "a permit ends mid-episode",
            MONDAY_NIGHT,
            [1] * 60,
            [permit(valid_from="2025-11-03", valid_to="2025-11-03 23:30:20")],
            [(20, 59, 1)],
        ),
        (
            "a permit covering the night",
            MONDAY_NIGHT,
            [1] * 60,
            [permit(valid_from="2025-11-03", valid_to="2025-11-03", hours="22:00-06:00")],
            [],
        ),
        (
            "another site's permit does not count",
            MONDAY_NIGHT,
            [1] * 60,
            [permit(site="elsewhere", valid_from="2025-11-03", valid_to="2025-11-03")],
            [(0, 59, 1)],
        ),
    ],
)
def test_episodes(name, start, people, permits, expected) -> None:
    changes = run(OutOfHoursRule("cam1", SITE, permits, SETTINGS), start, people)
    assert closed_events(changes, start) == expected, name
    opened = [c for c in changes if c.kind is ChangeKind.OPENED]
    assert len(opened) == len(expected)  # one event per episode, never one per person
    for change in changes:
        assert change.event.type is EventType.OUT_OF_HOURS and change.event.track_id is None


@pytest.mark.parametrize(
    ("name", "people", "expected"),
    [
        # one frame a second; the gap is the time between two sightings.
        # One missed camera shot (~6 s) mid-count: the 30 s persistence carries on.
        ("sightings 7 s apart", [1] * 20 + [0] * 6 + [1] * 20, [(0, 45, 1)]),
        ("sightings 10 s apart", [1] * 20 + [0] * 9 + [1] * 20, [(0, 48, 1)]),
        # gone longer than dropout_s: the count restarts and 20 s is too short
        ("sightings 11 s apart", [1] * 20 + [0] * 10 + [1] * 20, []),
    ],
)
def test_default_dropout_tolerates_one_missed_shot(name, people, expected) -> None:
    rule = OutOfHoursRule("cam1", SITE, settings=OutOfHoursSettings())
    assert closed_events(run(rule, MONDAY_NIGHT, people), MONDAY_NIGHT) == expected


def test_changes_over_one_event_life() -> None:
    settings = SETTINGS.model_copy(update={"update_every_s": 10})
    changes = run(OutOfHoursRule("cam1", SITE, [], settings), MONDAY_NIGHT, [1] * 12 + [2] * 3 + [1] * 30)
    kinds = [(c.kind, int((c.event.end - MONDAY_NIGHT).total_seconds()), c.event.people) for c in changes]
    assert kinds == [
        (ChangeKind.OPENED, 10, 1),
        (ChangeKind.UPDATED, 12, 2),  # more people
        (ChangeKind.UPDATED, 22, 2),  # end extended, 10 s after the last report
        (ChangeKind.UPDATED, 32, 2),
        (ChangeKind.UPDATED, 42, 2),
        (ChangeKind.CLOSED, 44, 2),  # close_all at the end of the video
    ]
    ids = {c.event.event_id for c in changes}
    assert ids == {event_id_for("cam1", EventType.OUT_OF_HOURS, MONDAY_NIGHT)}
    assert [c.event.closed for c in changes] == [False] * 5 + [True]


def test_event_fields_and_evidence() -> None:
    rule = OutOfHoursRule("cam1", SITE, [], SETTINGS.model_copy(update={"persistence_s": 0}))
    person_and_head = Detections(
        np.array([[10, 10, 50, 120], [20, 12, 40, 30], [200, 20, 230, 50]], np.float32),
        np.array([0.6, 0.9, 0.7], np.float32),
        np.array([2, 0, 1], np.int32),  # a person with its head, and a helmet elsewhere
        CLASSES,
    )
    opened = rule.update(frame(MONDAY_NIGHT, 7), heads(1, 0.5))
    grown = rule.update(frame(MONDAY_NIGHT + timedelta(seconds=1), 8), person_and_head)
    assert [c.kind for c in opened + grown] == [ChangeKind.OPENED, ChangeKind.UPDATED]
    event = grown[0].event
    assert event.site_id == "berlin" and event.source == "cam1"
    assert event.people == 2
    assert (event.start_frame, event.end_frame) == (7, 8)
    assert event.evidence.frame_index == 8
    assert event.evidence.bbox == (10.0, 10.0, 230.0, 120.0)  # union of the counted boxes
    assert event.evidence.confidence == pytest.approx(0.9)  # the surest of them


@pytest.mark.parametrize(
    ("rows", "min_confidence", "expected"),
    [
        ([], 0.4, 0),
        ([("person", 0.9), ("head", 0.9)], 0.4, 1),  # one worker seen twice
        ([("person", 0.9), ("person", 0.9), ("head", 0.9), ("helmet", 0.9), ("helmet", 0.8)], 0.4, 3),
        ([("person", 0.9), ("person", 0.8)], 0.4, 2),  # bodies only (heads too small)
        ([("head", 0.3), ("helmet", 0.9)], 0.4, 1),  # below min_confidence
        ([("head", 0.3), ("helmet", 0.35)], 0.4, 0),
    ],
)
def test_count_people(rows, min_confidence, expected) -> None:
    dets = Detections(
        np.array([[0, 0, 10, 10]] * len(rows), np.float32).reshape(-1, 4),
        np.array([c for _, c in rows], np.float32),
        np.array([CLASSES.index(n) for n, _ in rows], np.int32),
        CLASSES,
    )
    assert count_people(dets, min_confidence).count == expected


@pytest.mark.parametrize(
    ("site", "settings"),
    [
        (SiteSettings(id="free", name="No schedule", timezone="Europe/Berlin"), SETTINGS),
        (SITE, SETTINGS.model_copy(update={"enabled": False})),
    ],
)
def test_rule_is_inactive_without_schedule_or_when_disabled(site, settings) -> None:
    rule = OutOfHoursRule("cam1", site, [], settings)
    assert not rule.active
    assert run(rule, MONDAY_NIGHT, [1] * 60) == []


def test_close_all_drops_a_candidate_that_never_opened() -> None:
    rule = OutOfHoursRule("cam1", SITE, [], SETTINGS)
    assert run(rule, MONDAY_NIGHT, [1] * 5) == []
    assert rule.open_event is None


def test_event_times_convert_to_utc_for_storage() -> None:
    start = datetime(2025, 11, 3, 23, 30, tzinfo=BERLIN)  # 22:30 UTC (CET, +01:00)
    changes = run(OutOfHoursRule("cam1", SITE, [], SETTINGS), start, [1] * 20)
    event = changes[-1].event
    stored = event_in_utc(event)
    assert stored.start == datetime(2025, 11, 3, 22, 30, tzinfo=UTC) and stored.start.tzinfo is UTC
    assert stored.end == datetime(2025, 11, 3, 22, 30, 19, tzinfo=UTC) and stored.end.tzinfo is UTC
    assert stored.evidence.timestamp.tzinfo is UTC and stored.evidence.timestamp == event.evidence.timestamp
    assert stored.event_id == event.event_id == event_id_for("cam1", EventType.OUT_OF_HOURS, stored.start)


def test_frames_in_any_zone_give_the_same_events() -> None:
    """Streams may stamp frames in UTC or local time; the schedule judges the instant."""
    local = run(OutOfHoursRule("cam1", SITE, [], SETTINGS), MONDAY_NIGHT, [1] * 20)
    in_utc = run(OutOfHoursRule("cam1", SITE, [], SETTINGS), MONDAY_NIGHT.astimezone(UTC), [1] * 20)
    assert [(c.kind, c.event.event_id, c.event.start, c.event.end) for c in local] == [
        (c.kind, c.event.event_id, c.event.start, c.event.end) for c in in_utc
    ]


@pytest.mark.parametrize(
    "night",
    [
        datetime(2026, 3, 29, 0, 56, tzinfo=UTC),  # 01:56 CET; at 02:00 CET the clocks jump to 03:00 CEST
        datetime(2026, 10, 25, 0, 56, tzinfo=UTC),  # 02:56 CEST; at 03:00 CEST the clocks go back to 02:00 CET
    ],
    ids=["spring-forward", "fall-back"],
)
def test_one_episode_across_a_dst_change_is_one_event_with_its_real_length(night):
    # Frames time-stamped in the site's own zone, as `score --start` without an offset makes
    # them: one real second apart. Python would subtract two Berlin times on their wall
    # clocks and see the clock change as an hour of absence (or a step back in time).
    rule = OutOfHoursRule("cam1", SITE, settings=SETTINGS)
    changes: list[EventChange] = []
    for i in range(480):  # 8 minutes of one person on site, on a Sunday night
        at = (night + timedelta(seconds=i)).astimezone(BERLIN)
        changes += rule.update(frame(at, i), heads(1))
    changes += rule.close_all(night + timedelta(seconds=480), 480)
    assert [c.kind for c in changes if c.kind is not ChangeKind.UPDATED] == [ChangeKind.OPENED, ChangeKind.CLOSED]
    assert closed_events(changes, night) == [(0.0, 479.0, 1)]


@pytest.mark.parametrize(
    ("dropout_s", "every_s", "frames", "opened"),
    [
        (0, 0.5, 80, True),  # no drop-out allowed, but no frame ever shows the zone empty
        (10, 20, 15, True),  # a camera sampled every 20 s, someone in every frame
        (10, 10.5, 30, True),
        (10, 90, 5, False),  # frames further apart than close_after_s: a camera that was away
    ],
)
def test_sparse_frames_that_all_show_people_are_one_presence(dropout_s, every_s, frames, opened):
    settings = OutOfHoursSettings(persistence_s=30, dropout_s=dropout_s, close_after_s=60, update_every_s=1000)
    rule = OutOfHoursRule("cam1", SITE, settings=settings)
    changes: list[EventChange] = []
    for i in range(frames):
        changes += rule.update(frame(MONDAY_NIGHT + timedelta(seconds=i * every_s), i), heads(1))
    assert any(c.kind is ChangeKind.OPENED for c in changes) == opened


def test_a_frame_that_sees_the_zone_empty_still_counts_as_a_drop_out():
    # Every 20 s, with one empty frame: the zone was seen empty for longer than dropout_s.
    settings = OutOfHoursSettings(persistence_s=30, dropout_s=10, close_after_s=60, update_every_s=1000)
    rule = OutOfHoursRule("cam1", SITE, settings=settings)
    changes: list[EventChange] = []
    for i, n in enumerate([1, 1, 0, 1, 1]):  # t = 0, 20, 40 (empty), 60, 80
        changes += rule.update(frame(MONDAY_NIGHT + timedelta(seconds=20 * i), i), heads(n))
    assert not any(c.kind is ChangeKind.OPENED for c in changes), "the count restarted at t = 60"
