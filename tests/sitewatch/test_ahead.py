"""``run_ahead``: items worked on several at once come back in order, each with its own result."""

from __future__ import annotations

import threading
import time

import pytest

from sitewatch.ahead import run_ahead
from testdata import ConcurrentCalls


def slow_square(n: int) -> int:
    """Items 0, 3, 6, ... take longest, so they finish after the ones behind them."""
    time.sleep(0.02 if n % 3 == 0 else 0.001)
    return n * n


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [0, 1, 2, 10])
def test_items_come_back_in_order_with_their_own_results(depth, count):
    assert list(run_ahead(slow_square, range(count), depth)) == [(n, n * n) for n in range(count)]


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_at_most_depth_items_are_worked_on_at_once(depth):
    counted = ConcurrentCalls(slow_square)
    assert len(list(run_ahead(counted, range(12), depth))) == 12
    assert counted.most == depth


def test_a_failure_reaches_the_caller_at_its_item_and_stops_the_rest():
    started = []

    def failing(n: int) -> int:
        started.append(n)
        if n == 3:
            raise RuntimeError("item 3 is bad")
        return slow_square(n)

    got = []
    with pytest.raises(RuntimeError, match="item 3 is bad"):
        for n, _ in run_ahead(failing, range(50), 2):
            got.append(n)
    assert got == [0, 1, 2]
    assert max(started) < 10  # the items behind the failure were not all worked on


def test_a_caller_that_stops_early_leaves_no_work_running():
    started = []

    def work(n: int) -> int:
        started.append(n)
        return slow_square(n)

    for n, _ in run_ahead(work, range(50), 3):
        if n == 4:
            break
    # The generator is closed when the loop leaves it: its pool has finished and gone.
    assert not [t for t in threading.enumerate() if t.name.startswith("ahead")]
    assert len(started) <= 4 + 1 + 3  # the items handed out, and at most one round ahead
