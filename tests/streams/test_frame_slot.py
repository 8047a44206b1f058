"""The one-frame hand-over: newest wins, overwritten frames are counted as drops."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import pytest

from sitewatch.streams.slot import LatestFrameSlot
from sitewatch.types import Frame

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def frame(index: int) -> Frame:
    return Frame("cam", np.zeros((4, 4, 3), np.uint8), T0, index)


@pytest.mark.parametrize(
    ("script", "taken", "drops"),
    [
        ("ptptpt", [0, 1, 2], 0),  # a consumer that keeps up loses nothing
        ("ppppt", [3], 3),  # a slow one gets the newest; the older three were dropped
        ("pptppt", [1, 3], 2),
        ("tpt", [0], 0),  # taking from an empty slot is no drop
        ("ptt", [0], 0),
        ("pp", [], 1),  # the frame still waiting is not (yet) a drop
    ],
)
def test_newest_frame_wins_and_overwrites_count_as_drops(script, taken, drops):
    slot = LatestFrameSlot()
    got, index = [], 0
    for step in script:
        if step == "p":
            slot.put(frame(index))
            index += 1
        elif (f := slot.take()) is not None:
            got.append(f.index)
    assert got == taken
    assert (slot.dropped, slot.taken, slot.puts) == (drops, len(taken), index)


def test_put_says_whether_it_dropped():
    slot = LatestFrameSlot()
    assert slot.put(frame(0)) is False
    assert slot.put(frame(1)) is True


def test_take_waits_for_a_frame_and_close_wakes_waiters():
    slot = LatestFrameSlot()
    threading.Timer(0.05, slot.put, [frame(7)]).start()
    assert slot.take(timeout=10).index == 7
    threading.Timer(0.05, slot.close).start()
    assert slot.take(timeout=None) is None
    assert slot.closed


def test_shared_ready_event_is_set_by_any_slot():
    ready = threading.Event()
    slots = [LatestFrameSlot(ready), LatestFrameSlot(ready)]
    slots[1].put(frame(0))
    assert ready.is_set()
    ready.clear()
    assert [s.take() is not None for s in slots] == [False, True]
