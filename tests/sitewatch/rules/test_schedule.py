"""Permitted hours: weekly windows, midnight crossing, holidays, permits, time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sitewatch.config.permits import PermitSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.rules.schedule import is_permitted, next_change

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def site(timezone: str, schedule: dict | None, id_: str = "s1") -> SiteSettings:
    return SiteSettings.model_validate({"id": id_, "name": id_, "timezone": timezone, "schedule": schedule})


def permit(**fields) -> PermitSettings:
    return PermitSettings.model_validate({"id": "p1", "site": "s1", **fields})


# 2025-11-03 is a Monday. Mon-Sat day shift, a Friday night shift crossing
# midnight, and holidays on a Friday (replaces its night shift) and a Saturday
# (does not cut short the Friday night shift that runs into it).
BERLIN_SITE = site(
    "Europe/Berlin",
    {
        "weekly": [
            {"days": "mon-sat", "hours": "07:00-19:00"},
            {"days": "fri", "hours": "22:00-02:00"},
        ],
        "holidays": [
            {"date": "2025-11-08", "name": "Saturday holiday"},
            {"date": "2025-11-14", "name": "Friday holiday"},
            {"date": "2025-12-24", "hours": "07:00-12:00"},
            {"date": "2025-12-25", "until": "2025-12-26"},
        ],
    },
)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # weekday boundaries of the day window: start inclusive, end exclusive
        ("2025-11-03 06:59:59", False),
        ("2025-11-03 07:00:00", True),
        ("2025-11-03 18:59:59", True),
        ("2025-11-03 19:00:00", False),
        ("2025-11-08 10:00:00", False),  # Saturday, but a holiday
        ("2025-11-15 10:00:00", True),  # ordinary Saturday
        ("2025-11-16 10:00:00", False),  # Sunday: no window
        ("2025-11-10 23:30:00", False),  # Monday night: no night shift
        # the Friday night shift crosses midnight and belongs to Friday
        ("2025-11-07 21:59:59", False),
        ("2025-11-07 22:00:00", True),
        ("2025-11-07 23:59:59", True),
        ("2025-11-08 00:00:00", True),  # Saturday is a holiday: Friday's window still runs
        ("2025-11-08 01:59:59", True),
        ("2025-11-08 02:00:00", False),
        ("2025-11-09 01:00:00", False),  # Sunday 01:00: Saturday has no night shift
        ("2025-11-15 01:00:00", False),  # Friday the 14th is a holiday: its night shift is gone
        ("2025-11-21 23:00:00", True),
        ("2025-11-22 01:30:00", True),
        # special hours and closure periods
        ("2025-12-24 11:59:00", True),
        ("2025-12-24 12:00:00", False),
        ("2025-12-25 10:00:00", False),
        ("2025-12-26 10:00:00", False),  # last day of the closure (inclusive)
        ("2025-12-27 10:00:00", True),
    ],
)
def test_berlin_weekly_windows_and_holidays(local: str, expected: bool) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=BERLIN)
    assert is_permitted(BERLIN_SITE, [], at) is expected


# Shanghai: UTC+8 all year, no DST. Daily 06:00-22:00 and Tue/Thu muck-removal nights.
SHANGHAI_SITE = site(
    "Asia/Shanghai",
    {"weekly": [{"days": "daily", "hours": "06:00-22:00"}, {"days": "tue,thu", "hours": "22:00-02:00"}]},
)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        ("2025-11-03T21:59:59Z", False),  # Tue 05:59:59 local
        ("2025-11-03T22:00:00Z", True),  # Tue 06:00
        ("2025-11-04T14:30:00Z", True),  # Tue 22:30: night shift
        ("2025-11-04T17:59:59Z", True),  # Wed 01:59:59: Tuesday's night shift
        ("2025-11-04T18:00:00Z", False),  # Wed 02:00
        ("2025-11-05T14:30:00Z", False),  # Wed 22:30: no night shift
        ("2025-11-05T17:00:00Z", False),  # Thu 01:00: Wednesday had none
        ("2025-11-06T16:00:00Z", True),  # Fri 00:00: Thursday's night shift
        ("2025-06-03T14:30:00Z", True),  # summer is no different (no DST)
        ("2025-06-04T14:30:00Z", False),
    ],
)
def test_shanghai_without_dst(utc: str, expected: bool) -> None:
    assert is_permitted(SHANGHAI_SITE, [], datetime.fromisoformat(utc)) is expected


def test_the_same_instant_in_any_zone_gives_the_same_answer() -> None:
    at = datetime(2025, 11, 4, 14, 30, tzinfo=UTC)
    for zone in (UTC, SHANGHAI, BERLIN, ZoneInfo("America/New_York")):
        assert is_permitted(SHANGHAI_SITE, [], at.astimezone(zone)) is True


# Europe/Berlin DST: 2025-03-30 02:00 CET -> 03:00 CEST, 2025-10-26 03:00 CEST -> 02:00 CET (both Sundays).
DST_SITE = site(
    "Europe/Berlin",
    {
        "weekly": [
            {"days": "sat", "hours": "22:00-02:30"},  # ends inside the spring gap / the autumn repeat
            {"days": "sun", "hours": ["02:30-05:00", "12:00-13:00"]},
        ]
    },
)
AUTUMN_SITE = site("Europe/Berlin", {"weekly": [{"days": "sun", "hours": "00:00-06:00"}]})


@pytest.mark.parametrize(
    ("schedule_site", "utc", "expected"),
    [
        # spring: 02:00-03:00 local does not exist; 01:00Z is 03:00 CEST
        (DST_SITE, "2025-03-30T00:59:59Z", True),  # 01:59:59 CET: Saturday's window
        (DST_SITE, "2025-03-30T01:00:00Z", True),  # 03:00 CEST: the 02:30 window began when the clock jumped
        (DST_SITE, "2025-03-30T02:59:59Z", True),  # 04:59:59 CEST
        (DST_SITE, "2025-03-30T03:00:00Z", False),  # 05:00 CEST
        (DST_SITE, "2025-03-30T10:00:00Z", True),  # 12:00 CEST: summer time offset applies
        (DST_SITE, "2025-03-30T11:00:00Z", False),  # 13:00 CEST
        # autumn: 02:00-03:00 local happens twice; 00:00Z is 02:00 CEST, 01:00Z is 02:00 CET
        (DST_SITE, "2025-10-25T23:59:59Z", True),  # 01:59:59 CEST: Saturday's window
        (DST_SITE, "2025-10-26T00:15:00Z", True),  # 02:15 CEST (first pass): before 02:30
        (DST_SITE, "2025-10-26T00:30:00Z", True),  # 02:30 CEST: Sunday's 02:30 window
        (
            DST_SITE,
            "2025-10-26T01:15:00Z",
            True,
        ),  # 02:15 CET (second pass): the clock is inside 22:00-02:30 again
        (DST_SITE, "2025-10-26T01:30:00Z", True),  # 02:30 CET
        (DST_SITE, "2025-10-26T03:59:59Z", True),  # 04:59:59 CET
        (DST_SITE, "2025-10-26T04:00:00Z", False),  # 05:00 CET
        (DST_SITE, "2025-10-26T11:00:00Z", True),  # 12:00 CET: winter offset applies
        # a 00:00-06:00 window lasts 7 real hours on the autumn night
        (AUTUMN_SITE, "2025-10-25T21:59:59Z", False),  # 23:59:59 CEST Saturday
        (AUTUMN_SITE, "2025-10-25T22:00:00Z", True),  # 00:00 CEST
        (AUTUMN_SITE, "2025-10-26T04:59:59Z", True),  # 05:59:59 CET
        (AUTUMN_SITE, "2025-10-26T05:00:00Z", False),  # 06:00 CET
    ],
)
def test_berlin_across_both_dst_changes(schedule_site: SiteSettings, utc: str, expected: bool) -> None:
    assert is_permitted(schedule_site, [], datetime.fromisoformat(utc)) is expected


# -- permits -------------------------------------------------------------------
DAY_SHIFT_SITE = site("Europe/Berlin", {"weekly": [{"days": "mon-sat", "hours": "07:00-19:00"}]})

NIGHT_PERMIT_BY_DATES = permit(
    valid_from="2025-11-03", valid_to="2025-11-07", hours="19:00-06:00", days="mon-fri"
)
NIGHT_PERMIT_BY_INSTANTS = permit(
    valid_from="2025-11-10T22:00:00+01:00", valid_to="2025-11-12T06:00:00+01:00", hours="22:00-06:00"
)
LOCAL_TIMES_PERMIT = permit(valid_from="2025-11-17 23:00", valid_to="2025-11-18 01:00")


@pytest.mark.parametrize(
    ("the_permit", "local", "expected"),
    [
        # date bounds select the days whose windows count
        (NIGHT_PERMIT_BY_DATES, "2025-11-03 05:00", False),  # window started on Sunday the 2nd
        (NIGHT_PERMIT_BY_DATES, "2025-11-03 19:00", True),
        (NIGHT_PERMIT_BY_DATES, "2025-11-05 02:00", True),
        (NIGHT_PERMIT_BY_DATES, "2025-11-07 23:00", True),
        (NIGHT_PERMIT_BY_DATES, "2025-11-08 05:59", True),  # last valid day's window runs past midnight
        (NIGHT_PERMIT_BY_DATES, "2025-11-08 06:00", False),
        (NIGHT_PERMIT_BY_DATES, "2025-11-08 20:00", False),  # after the permit
        (NIGHT_PERMIT_BY_DATES, "2025-11-02 23:00", False),  # before the permit
        # instant bounds cut exactly
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-10 21:59", False),
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-10 22:00", True),
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-11 03:00", True),
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-12 05:59", True),
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-12 06:00", False),
        (NIGHT_PERMIT_BY_INSTANTS, "2025-11-12 23:00", False),
        # no hours: any time between local wall-clock bounds
        (LOCAL_TIMES_PERMIT, "2025-11-17 22:59", False),
        (LOCAL_TIMES_PERMIT, "2025-11-17 23:00", True),
        (LOCAL_TIMES_PERMIT, "2025-11-18 00:59", True),
        (LOCAL_TIMES_PERMIT, "2025-11-18 01:00", False),
    ],
)
def test_permits_make_out_of_hours_work_legal(the_permit: PermitSettings, local: str, expected: bool) -> None:
    at = datetime.fromisoformat(local).replace(tzinfo=BERLIN)
    assert is_permitted(DAY_SHIFT_SITE, [], at) is False  # every case lies outside the weekly hours
    assert is_permitted(DAY_SHIFT_SITE, [the_permit], at) is expected


def test_a_permit_for_another_site_does_not_count() -> None:
    other = permit(site="elsewhere", valid_from="2025-11-01", valid_to="2025-11-30")
    at = datetime(2025, 11, 10, 23, 0, tzinfo=BERLIN)
    assert is_permitted(DAY_SHIFT_SITE, [other], at) is False


def test_a_site_without_schedule_is_always_permitted() -> None:
    unscheduled = site("Europe/Berlin", None)
    assert is_permitted(unscheduled, [], datetime(2025, 11, 9, 3, 0, tzinfo=BERLIN)) is True
    assert next_change(unscheduled, [], datetime(2025, 11, 9, 3, 0, tzinfo=BERLIN)) is None


def test_an_empty_schedule_permits_nothing() -> None:
    never = site("Europe/Berlin", {})
    at = datetime(2025, 11, 10, 10, 0, tzinfo=BERLIN)
    assert is_permitted(never, [], at) is False
    assert next_change(never, [], at) is None


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_permitted(BERLIN_SITE, [], datetime(2025, 11, 3, 10, 0))


# -- next_change -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule_site", "permits", "at", "expected"),
    [
        (BERLIN_SITE, [], "2025-11-03T10:00:00+01:00", "2025-11-03T19:00:00+01:00"),
        (BERLIN_SITE, [], "2025-11-03T19:00:00+01:00", "2025-11-04T07:00:00+01:00"),
        (BERLIN_SITE, [], "2025-11-07T20:00:00+01:00", "2025-11-07T22:00:00+01:00"),
        (BERLIN_SITE, [], "2025-11-07T23:00:00+01:00", "2025-11-08T02:00:00+01:00"),
        (BERLIN_SITE, [], "2025-11-08T02:00:00+01:00", "2025-11-10T07:00:00+01:00"),  # Sat holiday, Sunday
        (BERLIN_SITE, [], "2025-12-24T10:00:00+01:00", "2025-12-24T12:00:00+01:00"),
        (BERLIN_SITE, [], "2025-12-24T12:00:00+01:00", "2025-12-27T07:00:00+01:00"),
        (DAY_SHIFT_SITE, [NIGHT_PERMIT_BY_DATES], "2025-11-03T10:00:00+01:00", "2025-11-04T06:00:00+01:00"),
        (
            DAY_SHIFT_SITE,
            [NIGHT_PERMIT_BY_INSTANTS],
            "2025-11-10T20:00:00+01:00",
            "2025-11-10T22:00:00+01:00",
        ),
        (DST_SITE, [], "2025-03-30T00:30:00+00:00", "2025-03-30T05:00:00+02:00"),  # across the spring jump
        (DST_SITE, [], "2025-10-26T00:15:00+00:00", "2025-10-26T05:00:00+01:00"),
        (AUTUMN_SITE, [], "2025-10-25T12:00:00+00:00", "2025-10-26T00:00:00+02:00"),
        (AUTUMN_SITE, [], "2025-10-26T00:00:00+02:00", "2025-10-26T06:00:00+01:00"),
    ],
)
def test_next_change(schedule_site: SiteSettings, permits: list, at: str, expected: str) -> None:
    change = next_change(schedule_site, permits, datetime.fromisoformat(at))
    assert change == datetime.fromisoformat(expected)
    assert change.tzinfo == UTC


@pytest.mark.parametrize(
    ("schedule_site", "start_utc"),
    [
        (DST_SITE, "2025-03-28T12:00:00Z"),
        (DST_SITE, "2025-10-24T12:00:00Z"),
        (BERLIN_SITE, "2025-11-06T00:00:00Z"),
    ],
)
def test_next_change_agrees_with_a_minute_by_minute_scan(schedule_site: SiteSettings, start_utc: str) -> None:
    """Walking from change to change must match sampling is_permitted every minute for three days."""
    start = datetime.fromisoformat(start_utc)
    scanned = []
    previous = is_permitted(schedule_site, [], start)
    for minute in range(1, 3 * 24 * 60):
        at = start + timedelta(minutes=minute)
        now = is_permitted(schedule_site, [], at)
        if now != previous:
            scanned.append(at)
            previous = now
    walked = []
    at = start
    while (at := next_change(schedule_site, [], at)) is not None and at < start + timedelta(days=3):
        walked.append(at)
    assert walked == scanned
