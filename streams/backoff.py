"""How long a camera reader waits before it tries to reconnect.

Capped exponential backoff with jitter: the n-th consecutive failure waits
``min(cap, base * 2**n)``, of which a ``jitter`` fraction is drawn at random
(so a wait lies in ``[(1 - jitter) * d, d]`` and never exceeds the cap).
Randomness keeps the cameras behind one NVR from hammering it in lockstep
after it reboots.

The count of failures is not cleared by a mere successful connect: a camera
that accepts the connection and drops it a second later would otherwise be
retried at the base rate forever. Only a stream that stayed healthy for
``healthy_reset_s`` resets it.

Pure logic: the caller passes the (monotonic) time in, and the random source
is injected, so tests can pin every number.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable


class Backoff:
    def __init__(
        self,
        base_s: float,
        cap_s: float,
        jitter: float = 0.3,
        healthy_reset_s: float = 30.0,
        random: Callable[[], float] = _random.random,
    ):
        if base_s <= 0 or cap_s < base_s:
            raise ValueError(f"need 0 < base_s <= cap_s, got base_s={base_s}, cap_s={cap_s}")
        if not 0 <= jitter <= 1:
            raise ValueError(f"jitter must lie in [0, 1], got {jitter}")
        self.base_s = base_s
        self.cap_s = cap_s
        self.jitter = jitter
        self.healthy_reset_s = healthy_reset_s
        self._random = random
        self.failures = 0  # consecutive failures since the last healthy stretch
        self._healthy_since: float | None = None

    def healthy(self, now: float) -> None:
        """The stream delivers frames (again) from ``now`` on."""
        if self._healthy_since is None:
            self._healthy_since = now

    def check_healthy(self, now: float) -> None:
        """Forget past failures once the stream has been healthy long enough."""
        if self._healthy_since is not None and now - self._healthy_since >= self.healthy_reset_s:
            self.failures = 0

    def failed(self, now: float) -> float:
        """Record a failure at ``now`` and return the seconds to wait before the next attempt."""
        self.check_healthy(now)
        self._healthy_since = None
        # The exponent is bounded so that a camera down for months cannot overflow the float.
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(self.failures, 64))
        self.failures += 1
        return ceiling * (1.0 - self.jitter * self._random())
