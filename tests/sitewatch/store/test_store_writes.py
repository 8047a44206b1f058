"""Event writes against SQLite and PostgreSQL: idempotent upserts, UTC, evidence, outbox, dangling events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import func, select

from sitewatch.events import EventType
from sitewatch.store.models import AuditEntry, Camera, Event, Evidence, OutboxEntry, Site


def _count(store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _outbox_kinds(store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(o.event_id, o.kind) for o in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]


def test_replayed_changes_store_one_event_and_alert_once(store, change_factory):
    opened = change_factory("opened")
    store.apply([opened])
    store.apply([opened])  # a retried write
    store.apply([opened, opened])  # a restarted pipeline replaying
    assert _count(store, Event) == 1
    assert _outbox_kinds(store) == [(opened.event.event_id, "opened")]


def test_event_life_is_stored_in_order(store, change_factory):
    store.apply([change_factory("opened", end_s=1)])
    store.apply([change_factory("updated", end_s=3, frame=30, confidence=0.9)])
    store.apply([change_factory("closed", end_s=4, frame=30, confidence=0.9)])
    event_id = change_factory().event.event_id
    with store.session() as session:
        row = session.get(Event, event_id)
        assert (row.status, row.revision, row.end_frame) == ("closed", 3, 40)
        assert row.ended_at == datetime(2026, 3, 2, 9, 0, 4, tzinfo=UTC)
        assert row.closed_at == row.ended_at
        assert abs(row.confidence - 0.9) < 1e-6
    assert [k for _, k in _outbox_kinds(store)] == ["opened", "updated", "closed"]


def test_times_are_stored_as_utc(store, change_factory):
    change = change_factory()
    local = change.event.evolve(
        start=change.event.start.astimezone(timezone(timedelta(hours=8))),
        end=change.event.end.astimezone(timezone(timedelta(hours=-5))),
    )
    store.apply([type(change)(change.kind, local)])
    with store.session() as session:
        row = session.get(Event, change.event.event_id)
    assert row.started_at == change.event.start and row.started_at.utcoffset() == timedelta(0)
    assert row.ended_at == change.event.end


def test_a_stale_replay_does_not_move_an_event_backwards(store, change_factory):
    store.apply([change_factory("closed", end_s=9)])
    store.apply([change_factory("opened", end_s=1)])  # an old change arriving late
    with store.session() as session:
        row = session.get(Event, change_factory().event.event_id)
    assert (row.status, row.ended_at.second) == ("closed", 9)


def test_an_event_continued_after_closing_is_open_again(store, change_factory):
    store.apply([change_factory("closed", end_s=2)])
    store.apply([change_factory("updated", end_s=6)])
    with store.session() as session:
        row = session.get(Event, change_factory().event.event_id)
    assert (row.status, row.closed_at) == ("open", None)


def test_site_comes_from_event_then_argument_then_default(store, change_factory):
    store.apply([change_factory(source="cam-a", site_id="north")], site_id="ignored")
    store.apply([change_factory(source="cam-b")], site_id="south")
    store.apply([change_factory(source="cam-c")])
    with store.session() as session:
        sites = dict(session.execute(select(Event.camera_id, Event.site_id)).all())
        assert sites == {"cam-a": "north", "cam-b": "south", "cam-c": "default"}
        assert session.get(Camera, "cam-b").site_id == "south"
        assert {s.id for s in session.scalars(select(Site))} == {"north", "south", "default"}


def test_snapshot_is_written_once_per_evidence_frame(store, change_factory):
    store.apply([change_factory("opened", frame=10)])
    event_id = change_factory().event.event_id
    first = store.snapshot_bytes(event_id)
    assert first is not None and first[:2] == b"\xff\xd8"  # JPEG
    with store.session() as session:
        evidence = session.get(Evidence, event_id)
        assert evidence.frame_index == 10 and evidence.size_bytes == len(first)
    store.apply([change_factory("updated", frame=10, end_s=3)])
    assert _count(store, Evidence) == 1


def test_event_without_image_has_no_snapshot(store, change_factory):
    store.apply([change_factory(with_image=False)])
    assert store.snapshot_bytes(change_factory().event.event_id) is None
    assert _count(store, Evidence) == 0 and _count(store, Event) == 1


def test_out_of_hours_event_keeps_people(store, change_factory):
    store.apply([change_factory(type_=EventType.OUT_OF_HOURS)])
    with store.session() as session:
        row = session.scalars(select(Event)).one()
    assert (row.type, row.people, row.track_id) == ("out_of_hours", 2, None)


def test_close_dangling_closes_open_events_once(store, change_factory):
    store.apply([change_factory(source="cam-1"), change_factory(source="cam-2", end_s=5)])
    store.apply([change_factory("closed", source="cam-3")])
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert store.close_dangling(at) == 2
    assert store.close_dangling(at) == 0
    with store.session() as session:
        rows = session.scalars(select(Event)).all()
        assert {r.status for r in rows} == {"closed"}
        assert {r.closed_at for r in rows if r.camera_id != "cam-3"} == {at}
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
    assert [k for _, k in _outbox_kinds(store)][-2:] == ["closed", "closed"]
