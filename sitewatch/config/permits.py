"""``permits:``: night-work (out-of-hours) permits that make work legal outside the weekly hours.

A permit is valid from ``valid_from`` to ``valid_to`` and, within that, allows
work during its ``hours`` on its ``days`` (any time, every day, when left out).

How the bounds are read (the site's time zone gives local meaning):
- a date (``2025-11-03``) selects days: the windows that *start* on days from
  ``valid_from`` to ``valid_to`` inclusive count in full, so a 22:00-06:00
  permit ending on 2025-11-14 still covers the morning of the 15th;
- a date and time without offset (``2025-11-03 22:00``) is the site's local
  wall-clock time; with an offset (``2025-11-03T22:00+01:00``) it is that
  instant. Either cuts the permit at exactly that instant (``valid_to`` is
  exclusive).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from sitewatch.config.base import Section
from sitewatch.config.fields import ALL_DAYS, Identifier, Moment, TimeWindows, Weekdays
from sitewatch.config.problems import raise_if_any


def is_aware(value: date | datetime) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def as_local_naive(value: date | datetime, *, end: bool) -> datetime:
    """A date or naive datetime as local wall-clock time; a date ends at the next midnight."""
    if isinstance(value, datetime):
        return value
    if end and value == date.max:
        # valid_to: 9999-12-31 (a permit without end) has no next midnight in Python's calendar.
        return datetime.max
    return datetime.combine(value + timedelta(days=1) if end else value, time())


def as_instant(value: date | datetime, zone: ZoneInfo, *, end: bool) -> datetime:
    """The aware instant a bound stands for in ``zone``.

    Local times in a DST gap or fold resolve with ``fold=0``: a time skipped by
    the spring change counts as if the clock had not changed yet, a repeated
    autumn time as its first occurrence.
    """
    if is_aware(value):
        return value  # type: ignore[return-value]
    return as_local_naive(value, end=end).replace(tzinfo=zone, fold=0)


class PermitSettings(Section):
    id: Identifier
    site: Identifier = Field(description="id of the site the permit is for")
    valid_from: Moment
    valid_to: Moment
    hours: TimeWindows = Field((), description="hours the permit allows; none = any time while valid")
    days: Weekdays = Field(ALL_DAYS, description="weekdays the permit's hours apply on; default every day")
    description: str | None = Field(None, max_length=500)

    @field_validator("valid_from", "valid_to")
    @classmethod
    def _convertible(cls, value: date | datetime) -> date | datetime:
        # A time on the calendar's first or last day may not exist in UTC (year 0 or 10000),
        # and the schedule converts such bounds; a date there is fine (see as_local_naive).
        if isinstance(value, datetime) and value.date() in (date.min, date.max):
            raise ValueError(
                f"a date and time on {value.date()} is too close to the end of the calendar "
                f"(for a permit without end, give the date {date.max})"
            )
        return value

    @model_validator(mode="after")
    def _not_inverted(self) -> PermitSettings:
        # Bounds with and without a UTC offset can only be compared in the site's
        # zone; the root settings check those once the site is known.
        if is_aware(self.valid_from) != is_aware(self.valid_to):
            return self
        if is_aware(self.valid_from):
            start, stop = self.valid_from, self.valid_to
        else:
            start = as_local_naive(self.valid_from, end=False)
            stop = as_local_naive(self.valid_to, end=True)
        if not start < stop:  # type: ignore[operator]
            raise_if_any([(("valid_to",), inverted_message(self))])
        return self


def inverted_message(permit: PermitSettings) -> str:
    return f"valid_to ({permit.valid_to}) must be after valid_from ({permit.valid_from})"
