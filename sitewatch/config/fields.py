"""Value types shared by the site, camera and permit sections.

- ``Identifier``: ids that end up in URLs, topics and file names;
- ``TimeWindow``: ``"HH:MM-HH:MM"`` local wall-clock hours, possibly crossing midnight;
- ``Weekdays``: ``"mon-sat"``, ``"mon,wed,fri"``, ``[sat, sun]`` or ``"daily"``;
- ``Moment``: a date, a local date and time, or a date and time with a UTC offset;
- ``ClassNames``: model class names a section applies to (``head``, ``helmet``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, PlainValidator, WithJsonSchema

MINUTES_PER_DAY = 24 * 60

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _check_identifier(value: str) -> str:
    if not _ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"invalid id {value!r}: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return value


Identifier = Annotated[str, AfterValidator(_check_identifier)]


def _check_class_names(names: tuple[str, ...]) -> tuple[str, ...]:
    if any(not name.strip() for name in names):
        raise ValueError("class names must not be empty")
    return names


ClassNames = Annotated[tuple[str, ...], AfterValidator(_check_class_names)]


# -- hours ------------------------------------------------------------------
_WINDOW_PATTERN = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Local wall-clock hours ``[start, end)`` in minutes after midnight.

    ``end <= start`` means the window crosses midnight and ends on the next
    day (``22:00-02:00``); ``end == 1440`` is written ``24:00``. A window
    belongs to the day it starts on: the ``22:00-02:00`` window of a Friday
    covers Friday 22:00 to Saturday 02:00.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"window minutes out of range: {self.start}-{self.end}")
        if self.start == self.end:
            raise ValueError(
                "a window cannot start and end at the same time (use 00:00-24:00 for a whole day)"
            )

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def contains(self, start_day_offset: int, minute: float) -> bool:
        """Whether local ``minute`` of the day ``start_day_offset`` days after the window's day is inside.

        ``start_day_offset`` is 0 for the day the window starts on and 1 for the next day.
        """
        if start_day_offset == 0:
            return self.start <= minute < (MINUTES_PER_DAY if self.crosses_midnight else self.end)
        if start_day_offset == 1:
            return self.crosses_midnight and minute < self.end
        return False

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time_window(value: Any) -> TimeWindow:
    if isinstance(value, TimeWindow):
        return value
    if not isinstance(value, str):
        raise ValueError(f'expected hours as a quoted "HH:MM-HH:MM" string, got {type(value).__name__}')
    match = _WINDOW_PATTERN.fullmatch(value)
    if not match:
        raise ValueError(
            f'expected hours as "HH:MM-HH:MM" (e.g. "07:00-19:00" or "22:00-02:00"), got {value!r}'
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59:
        raise ValueError(f"invalid start time in {value!r}")
    if h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"invalid end time in {value!r}")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == 0:
        end = MINUTES_PER_DAY  # "22:00-00:00" ends at midnight
    return TimeWindow(start, end)


def _one_or_many(value: Any) -> Any:
    """Let a single window be written without a list around it."""
    return [value] if isinstance(value, (str, TimeWindow)) else value


TimeWindowField = Annotated[
    TimeWindow,
    PlainValidator(parse_time_window),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$"}),
]
TimeWindows = Annotated[tuple[TimeWindowField, ...], BeforeValidator(_one_or_many)]


# -- weekdays ---------------------------------------------------------------
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALL_DAYS = frozenset(range(7))


def _day_index(name: str) -> int:
    key = name.strip().lower()
    for names in (DAY_NAMES, _FULL_DAY_NAMES):
        if key in names:
            return names.index(key)
    raise ValueError(f"unknown day {name.strip()!r}: use mon, tue, wed, thu, fri, sat, sun")


def parse_weekdays(value: Any) -> frozenset[int]:
    """Day numbers, Monday = 0, as ``datetime.weekday()`` counts them.

    A range wraps around the week end: ``sat-mon`` is Saturday, Sunday, Monday.
    """
    if isinstance(value, frozenset) and value <= ALL_DAYS:
        return value
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise ValueError('expected days such as "mon-fri", "mon,wed,fri", [sat, sun] or "daily"')
    days: set[int] = set()
    for item in items:
        if item.strip().lower() == "daily":
            days.update(ALL_DAYS)
        elif "-" in item:
            first, _, last = item.partition("-")
            a, b = _day_index(first), _day_index(last)
            days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
        else:
            days.add(_day_index(item))
    if not days:
        raise ValueError("no days given")
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    return ",".join(DAY_NAMES[d] for d in sorted(days))


Weekdays = Annotated[
    frozenset[int],
    PlainValidator(parse_weekdays),
    PlainSerializer(format_weekdays, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["mon-sat", "sat,sun", "daily"]}),
]


# -- moments ----------------------------------------------------------------
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_moment(value: Any) -> date | datetime:
    """A ``date``, a naive ``datetime`` (local to the site) or an aware ``datetime``.

    YAML already turns ``2025-11-03`` into a date and ``2025-11-03 22:00:00``
    into a datetime; strings such as ``"2025-11-03 22:00"`` or
    ``"2025-11-03T22:00+01:00"`` are parsed here.
    """
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE_ONLY.fullmatch(text):
                return date.fromisoformat(text)
            return datetime.fromisoformat(text)
        except ValueError as exc:
            if not str(exc).startswith("Invalid isoformat"):
                # Well-formed but impossible (2025-02-30, 10:61): say which part is wrong.
                raise ValueError(f"invalid date/time {value!r}: {exc}") from None
    raise ValueError(
        "expected a date (2025-11-03) or a date and time (2025-11-03 22:00, "
        f"optionally with a UTC offset such as +01:00), got {value!r}"
    )


def _format_moment(value: date | datetime) -> str:
    return value.isoformat()


Moment = Annotated[
    date | datetime,
    PlainValidator(parse_moment),
    PlainSerializer(_format_moment, return_type=str),
    WithJsonSchema(
        {"type": "string", "examples": ["2025-11-03", "2025-11-03 22:00", "2025-11-03T22:00+01:00"]}
    ),
]
