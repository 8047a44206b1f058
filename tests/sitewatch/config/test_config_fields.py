"""The small value types of the site config: hours, weekdays, dates and times, ids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from sitewatch.config.fields import (
    Identifier,
    TimeWindow,
    format_weekdays,
    parse_moment,
    parse_time_window,
    parse_weekdays,
)


@pytest.mark.parametrize(
    ("text", "start", "end", "crosses"),
    [
        ("07:00-19:00", 420, 1140, False),
        ("22:00-02:00", 1320, 120, True),
        ("00:00-24:00", 0, 1440, False),
        ("22:00-00:00", 1320, 1440, False),  # ends at midnight
        (" 7:30 - 9:05 ", 450, 545, False),
        ("23:59-00:01", 1439, 1, True),
    ],
)
def test_time_window_parses(text: str, start: int, end: int, crosses: bool) -> None:
    window = parse_time_window(text)
    assert (window.start, window.end, window.crosses_midnight) == (start, end, crosses)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("07:00", "HH:MM-HH:MM"),
        ("7-19", "HH:MM-HH:MM"),
        (1320, "quoted"),  # what YAML 1.1 makes of 22:00
        ("24:00-02:00", "invalid start"),
        ("07:60-08:00", "invalid start"),
        ("07:00-24:30", "invalid end"),
        ("07:00-07:00", "same time"),
    ],
)
def test_time_window_rejects(value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_time_window(value)


@pytest.mark.parametrize(
    ("window", "offset", "minute", "inside"),
    [
        ("07:00-19:00", 0, 420, True),
        ("07:00-19:00", 0, 1140, False),
        ("07:00-19:00", 1, 500, False),
        ("22:00-02:00", 0, 1380, True),
        ("22:00-02:00", 0, 60, False),  # 01:00 of the start day is before the window
        ("22:00-02:00", 1, 60, True),  # 01:00 of the next day
        ("22:00-02:00", 1, 120, False),
        ("22:00-02:00", 2, 60, False),
    ],
)
def test_time_window_contains(window: str, offset: int, minute: float, inside: bool) -> None:
    assert parse_time_window(window).contains(offset, minute) is inside


def test_time_window_prints_as_written() -> None:
    assert str(TimeWindow(1320, 120)) == "22:00-02:00"
    assert str(TimeWindow(0, 1440)) == "00:00-24:00"


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("mon-sat", {0, 1, 2, 3, 4, 5}),
        ("sat-mon", {5, 6, 0}),  # wraps over the week end
        ("mon,wed,fri", {0, 2, 4}),
        (["Sat", "sunday"], {5, 6}),
        ("daily", set(range(7))),
        ("mon-fri, sun", {0, 1, 2, 3, 4, 6}),
    ],
)
def test_weekdays_parse(value, days: set[int]) -> None:
    assert parse_weekdays(value) == frozenset(days)


@pytest.mark.parametrize("value", ["funday", "", "mon-", 5, None, ["mon", 3]])
def test_weekdays_reject(value) -> None:
    with pytest.raises(ValueError):
        parse_weekdays(value)


def test_weekdays_format() -> None:
    assert format_weekdays(frozenset({6, 0, 1})) == "mon,tue,sun"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 11, 3), date(2025, 11, 3)),
        ("2025-11-03", date(2025, 11, 3)),
        ("2025-11-03 22:00", datetime(2025, 11, 3, 22, 0)),
        (datetime(2025, 11, 3, 22, 0), datetime(2025, 11, 3, 22, 0)),
        ("2025-11-03T22:00+01:00", datetime(2025, 11, 3, 22, 0, tzinfo=timezone(timedelta(hours=1)))),
        ("2025-11-03T21:00:00Z", datetime(2025, 11, 3, 21, 0, tzinfo=UTC)),
    ],
)
def test_moment_parses(value, expected) -> None:
    parsed = parse_moment(value)
    assert parsed == expected and type(parsed) is type(expected)


@pytest.mark.parametrize("value", ["next monday", "2025-11-03 noon", 20251103, None])
def test_moment_rejects(value) -> None:
    with pytest.raises(ValueError, match="expected a date"):
        parse_moment(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-13-01", "month must be in 1..12"),
        ("2025-02-30", "day is out of range for month"),
        ("2025-01-01 10:61", "minute must be in 0..59"),
    ],
)
def test_moment_names_what_is_impossible(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"invalid date/time '{value}': {reason}"):
        parse_moment(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("berlin-mitte", True),
        ("sh14.pit_2", True),
        ("-leading", False),
        ("has space", False),
        ("x" * 65, False),
    ],
)
def test_identifier(value: str, ok: bool) -> None:
    adapter = TypeAdapter(Identifier)
    if ok:
        assert adapter.validate_python(value) == value
    else:
        with pytest.raises(ValidationError, match="invalid id"):
            adapter.validate_python(value)
