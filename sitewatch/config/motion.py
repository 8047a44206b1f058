"""``motion:`` section: believe a head or helmet only once something has moved where it is."""

from pydantic import Field

from sitewatch.config.base import Section
from sitewatch.config.fields import ClassNames


class MotionSettings(Section):
    """A fixed camera's cones and signs never move; a worker walks in, turns his head, works.

    A ``classes`` box counts only once its track has been seen where pixels
    changed: at least ``min_share`` of the box's pixels differ by more than
    ``threshold`` grey levels from a background that follows the scene with a
    time constant of ``background_s``. Once seen moving, a track counts however
    still it then stands. See ``sitewatch.tracking.motion``.
    """

    enabled: bool = True
    classes: ClassNames = Field(
        ("head", "helmet"), min_length=1, description="classes whose boxes must have been seen moving"
    )
    threshold: int = Field(
        20,
        ge=1,
        le=254,
        description="grey levels (0-255) a pixel must differ from the background to have changed",
    )
    min_share: float = Field(
        0.1,
        gt=0.0,
        le=1.0,
        description="share of a box's pixels that must change for the box to be seen moving",
    )
    background_s: float = Field(
        1.0, gt=0.0, le=3600.0, description="time constant of the background average, seconds"
    )
    max_frame_share: float = Field(
        0.9,
        gt=0.0,
        le=1.0,
        description="a frame where more than this share changes (a cut, lights, a shaken camera) starts a new background",
    )
    width: int = Field(
        480,
        ge=64,
        le=8192,
        description="frames wider than this are shrunk by a whole factor to at most this width",
    )
