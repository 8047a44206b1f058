"""``sites:``: the construction sites, their time zone and when work is permitted."""

from __future__ import annotations

import difflib
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator, model_validator

from sitewatch.config.base import Section
from sitewatch.config.fields import Identifier, TimeWindow, TimeWindows, Weekdays
from sitewatch.config.problems import Loc, raise_if_any

# A closure longer than this is almost certainly a typo in a year.
_MAX_HOLIDAY_DAYS = 366


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ValueError with a readable message otherwise.

    Every zone named by a user goes through here, so that all of them get this message.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: names zoneinfo refuses outright (absolute paths, ".."), or a file of the
        # tz database that is not a zone (zone.tab); OSError: a folder of it ("Europe").
        pass
    # Listing the zones reads the tz database from disk: only worth it on this error path.
    close = difflib.get_close_matches(name, sorted(available_timezones()), n=1, cutoff=0.7)
    hint = f"did you mean '{close[0]}'?" if close else "e.g. 'Europe/Berlin', 'Asia/Shanghai'"
    raise ValueError(f"unknown IANA timezone {name!r} ({hint})")


class WeeklyWindow(Section):
    """Hours on some days of every week when work is permitted."""

    days: Weekdays
    hours: TimeWindows = Field(
        description='"HH:MM-HH:MM" or a list; a window crossing midnight belongs to its start day'
    )

    @field_validator("hours")
    @classmethod
    def _some_hours(cls, hours: tuple[TimeWindow, ...]) -> tuple[TimeWindow, ...]:
        if not hours:
            raise ValueError("give at least one window; leave the days out to forbid work on them")
        return hours


class Holiday(Section):
    """A day, or a run of days, when the weekly hours do not apply.

    Without ``hours`` no work is permitted on those days; with ``hours`` they
    replace the weekly windows that start on those days. A weekly window that
    started the evening before and crosses midnight still runs to its end.
    """

    date: date
    until: date | None = Field(None, description="last day of a closure period (inclusive); default: one day")
    name: str | None = Field(None, max_length=200)
    hours: TimeWindows = Field((), description="special hours on these days; none = no work")

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.until is not None:
            if self.until < self.date:
                raise_if_any([(("until",), f"until ({self.until}) is before date ({self.date})")])
            if (self.until - self.date).days >= _MAX_HOLIDAY_DAYS:
                raise_if_any(
                    [(("until",), f"a closure of more than {_MAX_HOLIDAY_DAYS} days; check the year")]
                )
        return self

    @property
    def last_day(self) -> date:
        return self.until or self.date

    def covers(self, day: date) -> bool:
        return self.date <= day <= self.last_day


class ScheduleSettings(Section):
    """When work is permitted on a site, in its local time."""

    weekly: tuple[WeeklyWindow, ...] = Field(
        (), description="weekly permitted hours; none = never, except holidays' hours and permits"
    )
    holidays: tuple[Holiday, ...] = Field((), description="days when the weekly hours are replaced")

    @field_validator("holidays")
    @classmethod
    def _no_overlap(cls, holidays: tuple[Holiday, ...]) -> tuple[Holiday, ...]:
        problems: list[tuple[Loc, str]] = []
        for i, later in enumerate(holidays):
            for j, earlier in enumerate(holidays[:i]):
                if later.date <= earlier.last_day and earlier.date <= later.last_day:
                    problems.append(
                        ((i, "date"), f"overlaps holiday {j} ({earlier.date}); which hours apply is unclear")
                    )
                    break
        raise_if_any(problems)
        return holidays

    def holiday_on(self, day: date) -> Holiday | None:
        for holiday in self.holidays:
            if holiday.covers(day):
                return holiday
        return None

    def windows_starting_on(self, day: date) -> tuple[TimeWindow, ...]:
        """The permitted windows that begin on local ``day`` (holidays replace weekly windows)."""
        holiday = self.holiday_on(day)
        if holiday is not None:
            return holiday.hours
        weekday = day.weekday()
        return tuple(w for entry in self.weekly if weekday in entry.days for w in entry.hours)


class SiteSettings(Section):
    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(description="IANA time zone of the site, e.g. Europe/Berlin")
    contractor: str | None = Field(
        None, max_length=200, description="the contractor responsible for the site"
    )
    inspector: str | None = Field(None, max_length=200, description="the supervising inspector or authority")
    grid: str | None = Field(
        None, max_length=200, description="the supervision grid or district the site is in"
    )
    schedule: ScheduleSettings | None = Field(
        None, description="permitted working hours; a site without a schedule has no out-of-hours rule"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        load_zone(name)
        return name

    @property
    def zone(self) -> ZoneInfo:
        # ZoneInfo caches instances by key, so this is a dictionary lookup after the first call.
        return load_zone(self.timezone)
