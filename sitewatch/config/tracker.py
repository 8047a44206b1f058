"""``tracker:`` section: ByteTrack settings, applied per camera."""

from pydantic import Field, model_validator

from sitewatch.config.base import Section


class TrackerSettings(Section):
    high_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="boxes at or above this join the first match"
    )
    low_threshold: float = Field(
        0.1, ge=0.0, le=1.0, description="boxes between this and high are matched second"
    )
    new_track_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="an unmatched box this sure starts a track"
    )
    match_iou: float = Field(0.2, gt=0.0, le=1.0, description="minimum IoU for a box to continue a track")
    low_match_iou: float = Field(
        0.5, gt=0.0, le=1.0, description="minimum IoU for a low-confidence box to continue a track"
    )
    match_buffer: float = Field(
        0.0,
        ge=0.0,
        le=2.0,
        description="grow boxes by this share of their size on each side before the IoU tests "
        "(buffered IoU: keeps small, fast or jittery heads on their track)",
    )
    match_buffer_per_s: float = Field(
        0.0,
        ge=0.0,
        le=5.0,
        description="grow the match buffer by this share of the box size for each second between scored "
        "frames (up to 2 s): for cameras scored at a low rate, where a walking worker's head moves several "
        "widths from one scored frame to the next",
    )
    twin_iou: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="a head and a helmet box overlapping by more than this are one head labelled twice: "
        "only the more confident is tracked (1: keep both)",
    )
    recovery: bool = Field(
        True,
        description="also match boxes left over to a track's last detected box, not only to its prediction "
        "(observation-centric recovery: a worker who stops while his head is missed keeps his id)",
    )
    lost_track_buffer: int = Field(30, ge=1, le=10_000, description="scored frames a lost track is kept for")

    @model_validator(mode="after")
    def _low_not_above_high(self) -> "TrackerSettings":
        if self.low_threshold > self.high_threshold:
            raise ValueError(
                f"low_threshold ({self.low_threshold}) must not exceed high_threshold ({self.high_threshold})"
            )
        return self
