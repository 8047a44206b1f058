"""Reconnect waits: capped doubling, bounded jitter, reset only after a healthy stretch."""

from __future__ import annotations

import pytest

from sitewatch.streams.backoff import Backoff


def waits(backoff: Backoff, count: int, now: float = 0.0) -> list[float]:
    return [round(backoff.failed(now), 6) for _ in range(count)]


@pytest.mark.parametrize(
    ("base", "cap", "jitter", "draw", "expected"),
    [
        (1.0, 8.0, 0.0, 0.7, [1, 2, 4, 8, 8, 8]),  # no jitter: the draw does not matter
        (0.5, 60.0, 0.0, 0.0, [0.5, 1, 2, 4, 8, 16]),
        (1.0, 8.0, 0.5, 0.0, [1, 2, 4, 8, 8, 8]),  # draw 0: the full wait
        (1.0, 8.0, 0.5, 1.0, [0.5, 1, 2, 4, 4, 4]),  # draw 1: jitter takes its whole share
        (1.0, 8.0, 1.0, 0.5, [0.5, 1, 2, 4, 4, 4]),
        (3.0, 3.0, 0.0, 0.0, [3, 3, 3, 3, 3, 3]),  # cap == base: constant
    ],
)
def test_wait_doubles_up_to_the_cap_with_bounded_jitter(base, cap, jitter, draw, expected):
    assert waits(Backoff(base, cap, jitter, random=lambda: draw), 6) == expected


def test_jitter_never_exceeds_the_cap():
    draws = iter([0.0, 0.99, 0.5] * 30)
    backoff = Backoff(1.0, 10.0, 0.3, random=lambda: next(draws))
    assert all(7.0 <= w <= 10.0 for w in waits(backoff, 90)[4:])


def test_failure_count_does_not_overflow_after_months_down():
    backoff = Backoff(1.0, 60.0, 0.0)
    for _ in range(100_000):
        backoff.failed(0.0)
    assert backoff.failed(0.0) == 60.0


@pytest.mark.parametrize(
    ("healthy_at", "failed_at", "expected"),
    [
        (100.0, 130.0, 1.0),  # streamed 30 s == healthy_reset_s: back to the base wait
        (100.0, 500.0, 1.0),
        (100.0, 129.9, 16.0),  # dropped before it proved healthy: keep backing off
        (100.0, 100.5, 16.0),  # accepts, then drops at once
        (None, 500.0, 16.0),  # never delivered a frame: time alone resets nothing
    ],
)
def test_reset_only_after_a_healthy_stretch(healthy_at, failed_at, expected):
    backoff = Backoff(1.0, 60.0, 0.0, healthy_reset_s=30.0)
    waits(backoff, 4)  # 1, 2, 4, 8
    if healthy_at is not None:
        backoff.healthy(healthy_at)
    assert backoff.failed(failed_at) == expected


def test_healthy_counts_from_the_first_frame_of_a_connection():
    backoff = Backoff(1.0, 60.0, 0.0, healthy_reset_s=30.0)
    waits(backoff, 3)
    backoff.healthy(0.0)
    backoff.healthy(25.0)  # later frames of the same connection do not move the start
    backoff.check_healthy(31.0)
    assert backoff.failures == 0


@pytest.mark.parametrize(("base", "cap", "jitter"), [(0.0, 1.0, 0.1), (2.0, 1.0, 0.1), (1.0, 2.0, 1.5)])
def test_rejects_unusable_parameters(base, cap, jitter):
    with pytest.raises(ValueError):
        Backoff(base, cap, jitter)
