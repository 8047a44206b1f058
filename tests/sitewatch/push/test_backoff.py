"""Retry delays grow exponentially, are capped, and are jittered within the upper half."""

from __future__ import annotations

import random

import pytest

from sitewatch.push.backoff import retry_delay


@pytest.mark.parametrize(
    ("attempts", "planned"),
    [(1, 2.0), (2, 4.0), (3, 8.0), (6, 64.0), (7, 100.0), (50, 100.0), (10_000, 100.0)],
)
def test_delay_is_capped_exponential_with_jitter(attempts, planned):
    rng = random.Random(7)
    delays = [retry_delay(attempts, 2.0, 100.0, rng) for _ in range(200)]
    assert all(planned / 2 <= d <= planned for d in delays)
    assert len({round(d, 6) for d in delays}) > 100  # jittered, not fixed


def test_attempts_start_at_one():
    with pytest.raises(ValueError):
        retry_delay(0, 1.0, 10.0, random.Random())
