"""``fixtures:`` section: learn the head/helmet look-alikes that never move, and drop their boxes."""

from pydantic import Field, model_validator

from sitewatch.config.base import Section
from sitewatch.config.fields import ClassNames


class FixtureSettings(Section):
    """A fixed camera sees its cones, signs and lamp heads in the same place all day.

    A place where ``classes`` boxes keep turning up without moving for
    ``still_s`` becomes a fixture, and boxes there are dropped from then on.
    A track that has been seen moving never starts a place: a worker who walks
    in and stands still stays a worker. See ``sitewatch.tracking.fixtures``.
    """

    enabled: bool = True
    classes: ClassNames = Field(
        ("head", "helmet"), min_length=1, description="classes whose still boxes can become fixtures"
    )
    still_s: float = Field(
        20.0, gt=0, le=86_400, description="boxes must stay put this long before their place is a fixture"
    )
    radius: float = Field(
        0.5,
        gt=0.0,
        le=2.0,
        description="a box whose centre stays within this share of its size of where it was first seen is still",
    )
    min_presence: float = Field(
        0.25,
        gt=0.0,
        le=1.0,
        description="share of the scored frames a place needs a box in to become a fixture",
    )
    gap_s: float = Field(
        10.0, gt=0, le=86_400, description="a place not yet a fixture is forgotten once empty this long"
    )
    forget_s: float = Field(
        3600.0,
        gt=0,
        le=30 * 86_400,
        description="a fixture is forgotten once empty this long (the cone was moved)",
    )

    @model_validator(mode="after")
    def _forget_not_below_gap(self) -> "FixtureSettings":
        if self.forget_s < self.gap_s:
            raise ValueError(f"forget_s ({self.forget_s}) must not be below gap_s ({self.gap_s})")
        return self
