"""Retry delays: capped exponential backoff with jitter."""

from __future__ import annotations

import random


def retry_delay(attempts: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Delay before the next try after ``attempts`` failures (>= 1).

    The exponential part is capped first; jitter then picks uniformly from the
    upper half, so retries from many deliveries spread out but never come sooner
    than half the planned delay.
    """
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    planned = min(cap_s, base_s * 2 ** min(attempts - 1, 62))
    return planned * rng.uniform(0.5, 1.0)
