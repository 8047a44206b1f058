"""The outage buffer: bounded, first in first out, coalescing before it ever drops."""

from __future__ import annotations

import logging

import pytest

from sitewatch.store.buffer import ChangeBuffer
from sitewatch.store.writer import PendingChange


def _pending(change_factory, kind: str, source: str, end_s: float = 2.0) -> PendingChange:
    return PendingChange.from_change(change_factory(kind, source=source, end_s=end_s), None, None)


def test_fifo(change_factory):
    buffer = ChangeBuffer(10)
    items = [_pending(change_factory, "opened", f"c{i}") for i in range(4)]
    buffer.extend(items)
    assert buffer.head(2) == items[:2]
    buffer.pop_head(2)
    assert buffer.head(10) == items[2:]


def test_full_buffer_drops_superseded_updates_first(change_factory, caplog):
    buffer = ChangeBuffer(4)
    opened = _pending(change_factory, "opened", "a")
    updates = [_pending(change_factory, "updated", "a", end_s=3 + i) for i in range(3)]
    with caplog.at_level(logging.ERROR, logger="sitewatch.store"):
        buffer.extend([opened, *updates, _pending(change_factory, "closed", "a", end_s=9)])
    kept = buffer.head(10)
    assert [c.kind for c in kept] == ["opened", "updated", "closed"]
    assert kept[1].end == updates[-1].end  # the newest update survives
    assert buffer.dropped == 0 and not caplog.records


def test_full_buffer_without_anything_to_coalesce_drops_oldest_and_logs_once(change_factory, caplog):
    buffer = ChangeBuffer(3)
    items = [_pending(change_factory, "opened", f"c{i}") for i in range(6)]
    with caplog.at_level(logging.ERROR, logger="sitewatch.store"):
        buffer.extend(items)
    assert buffer.head(10) == items[3:]
    assert buffer.dropped == 3
    assert len([r for r in caplog.records if "buffer full" in r.getMessage()]) == 1


def test_size_must_be_positive():
    with pytest.raises(ValueError):
        ChangeBuffer(0)
