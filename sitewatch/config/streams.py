"""``streams:`` section: how live camera streams are read, watched and reconnected.

The defaults suit cameras on a site LAN read through an NVR: a stream that
shows nothing for 10 s is reconnected, one whose picture has not changed for
two minutes is flagged ``frozen`` and reconnected, and reconnect attempts back
off from 1 s to at most a minute.
"""

from pydantic import Field, model_validator

from sitewatch.config.base import Section


class StreamSettings(Section):
    open_timeout_s: float = Field(
        10.0,
        gt=0,
        le=120,
        description="longest wait to connect to a camera and receive its stream header (OpenCV opens one "
        "stream at a time, so a camera that hangs here delays the others' reconnects by as much)",
    )
    stale_after_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="no frame for this long: the camera is 'stalled' and reconnected "
        "(also the longest one read may block)",
    )
    frozen_after_s: float = Field(
        120.0,
        ge=0,
        le=86_400,
        description="frames arrive but the picture has not changed for this long: the camera is flagged "
        "'frozen' and reconnected; 0 turns the check off",
    )
    frozen_min_change: float = Field(
        2.0,
        gt=0,
        le=128,
        description="grey levels a cell of the 64x36 thumbnail must change by for the picture to count as "
        "changed (raise it for noisy cameras that freeze with flicker)",
    )
    backoff_base_s: float = Field(1.0, gt=0, le=600, description="wait before the first reconnect attempt")
    backoff_cap_s: float = Field(
        60.0, gt=0, le=3600, description="longest wait between reconnect attempts (the doubling stops here)"
    )
    backoff_jitter: float = Field(
        0.3,
        ge=0,
        le=1,
        description="fraction of each wait drawn at random, so cameras behind one NVR do not retry "
        "in lockstep",
    )
    healthy_reset_s: float = Field(
        30.0,
        ge=0,
        le=86_400,
        description="a stream must deliver frames this long before the reconnect wait falls back to the base",
    )

    @model_validator(mode="after")
    def _cap_not_below_base(self) -> "StreamSettings":
        if self.backoff_cap_s < self.backoff_base_s:
            raise ValueError(
                f"backoff_cap_s ({self.backoff_cap_s:g}) must not be below "
                f"backoff_base_s ({self.backoff_base_s:g})"
            )
        return self

    @property
    def longest_block_s(self) -> float:
        """The longest a reader thread can be stuck inside OpenCV (one open or one read)."""
        return max(self.open_timeout_s, self.stale_after_s)
