"""``recent_no_helmet_events``: what a restarted service seeds its rules with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sitewatch.config.rules import NoHelmetSettings
from sitewatch.events import ChangeKind, EventType
from sitewatch.rules.no_helmet import NoHelmetRule
from sitewatch.store.recent import last_frame_at, recent_no_helmet_events
from sitewatch.types import Detections, Frame

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # as in the store tests' make_change


@pytest.fixture
def sqlite_store(tmp_path):
    from sitewatch.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'recent.db'}", tmp_path / "evidence")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("since_s", "expected_ends"),
    [
        (0, [2.0, 50.0]),  # both cam-1 no_helmet events
        (3, [50.0]),  # the first ended before
        (51, []),
    ],
)
def test_only_this_cameras_no_helmet_events_that_ended_since(
    sqlite_store, change_factory, since_s, expected_ends
):
    sqlite_store.apply(
        [
            change_factory(start_s=0, end_s=2),
            change_factory("closed", start_s=40, end_s=50),
            change_factory(source="cam-2", start_s=0, end_s=60),
            change_factory(type_=EventType.OUT_OF_HOURS, start_s=5, end_s=70),
        ]
    )
    found = recent_no_helmet_events(sqlite_store, "cam-1", T0 + timedelta(seconds=since_s))
    assert [(e.end - T0).total_seconds() for e in found] == expected_ends
    assert all(e.source == "cam-1" and e.type is EventType.NO_HELMET for e in found)


def test_events_come_back_as_they_were_stored_with_the_snapshot_as_evidence(sqlite_store, change_factory):
    stored = change_factory(start_s=0, end_s=2, site_id="north").event
    sqlite_store.apply([change_factory(start_s=0, end_s=2, site_id="north")])
    (event,) = recent_no_helmet_events(sqlite_store, "cam-1", T0)
    assert event.event_id == stored.event_id and event.track_id == stored.track_id
    assert event.site_id == "north" and not event.closed
    assert (event.start, event.end) == (stored.start, stored.end)
    assert event.bbox == stored.bbox and event.confidence == pytest.approx(stored.confidence)
    assert event.evidence.image.shape == stored.evidence.image.shape  # the decoded JPEG


def test_an_event_without_a_snapshot_has_an_empty_image(sqlite_store, change_factory):
    sqlite_store.apply([change_factory(start_s=0, end_s=2, with_image=False)])
    (event,) = recent_no_helmet_events(sqlite_store, "cam-1", T0)
    assert event.evidence.image.size == 0


def test_a_rule_seeded_with_them_continues_the_stored_event(sqlite_store, change_factory):
    stored = change_factory(start_s=0, end_s=2).event
    sqlite_store.apply([change_factory(start_s=0, end_s=2)])
    restart = T0 + timedelta(seconds=10)
    rule = NoHelmetRule("cam-1", NoHelmetSettings(k=1, m=1))
    rule.seed(recent_no_helmet_events(sqlite_store, "cam-1", T0), restart)
    # a fresh tracker after the restart: a new track id on the same spot
    names = ("head", "helmet", "person")
    head = Detections(np.array([stored.bbox]), np.array([0.9]), np.array([0]), names, np.array([1]))
    (change,) = rule.update(Frame("cam-1", np.zeros((96, 128, 3), np.uint8), restart, 0), head)
    assert change.kind is ChangeKind.UPDATED and change.event.event_id == stored.event_id
    sqlite_store.apply([change])
    (again,) = recent_no_helmet_events(sqlite_store, "cam-1", T0)
    assert again.event_id == stored.event_id and not again.closed and again.end == restart


def test_naive_times_are_refused(sqlite_store):
    with pytest.raises(ValueError, match="timezone-aware"):
        recent_no_helmet_events(sqlite_store, "cam-1", T0.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("seen_until_s", "expected"),
    [
        (None, []),  # the stored end (2 s) is before the window: not continuable
        (100, [("open", 100.0)]),  # the open one was still seen at 100 s; the closed one ended at 50 s
        (30, []),  # last seen before the window: nothing is moved into it
    ],
)
def test_events_left_open_count_as_seen_until_the_camera_last_delivered(
    sqlite_store, change_factory, seen_until_s, expected
):
    sqlite_store.apply([change_factory(start_s=0, end_s=2), change_factory("closed", start_s=40, end_s=50)])
    seen_until = None if seen_until_s is None else T0 + timedelta(seconds=seen_until_s)
    window = T0 + timedelta(seconds=60)
    found = recent_no_helmet_events(sqlite_store, "cam-1", window, open_seen_until=seen_until)
    assert [("closed" if e.closed else "open", (e.end - T0).total_seconds()) for e in found] == expected


def test_last_frame_at_is_what_the_live_service_recorded(sqlite_store):
    assert last_frame_at(sqlite_store, "cam-9") is None
    sqlite_store.record_camera_status("cam-9", "online", T0, site_id="north")
    assert last_frame_at(sqlite_store, "cam-9") == T0
