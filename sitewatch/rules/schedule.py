"""When work is permitted on a site: weekly hours, holidays and permits, as pure functions.

Everything is evaluated on the site's local **wall clock** (its IANA zone):
the instant asked about is converted to local time, and windows compare
against what a clock on site would show.

- A window belongs to the day it starts on. ``22:00-02:00`` on Friday covers
  Friday 22:00 to Saturday 02:00; a holiday on Saturday does not cut it short,
  a holiday on Friday replaces it.
- DST, spring (a local hour is skipped): a window edge inside the skipped hour
  takes effect when the clock jumps over it, e.g. a window starting at 02:30 in
  Europe/Berlin starts at 03:00 CEST. A window is that much shorter in real time.
- DST, autumn (a local hour repeats): both passes of the repeated hour are
  judged by the clock, e.g. 02:30 is outside a ``22:00-02:00`` window both
  times and inside a ``00:00-06:00`` window both times, which then lasts 7 h.
- Zones without DST (Asia/Shanghai) need nothing special; fixed offsets work too.

Permit bounds given without a UTC offset are local wall-clock times; one that
falls in a skipped or repeated hour is read with ``fold=0`` (see
``sitewatch.config.permits.as_instant``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sitewatch.config.fields import MINUTES_PER_DAY, TimeWindow
from sitewatch.config.permits import PermitSettings, as_instant
from sitewatch.config.sites import SiteSettings

_WHOLE_DAY = (TimeWindow(0, MINUTES_PER_DAY),)
# next_change looks this far ahead before concluding nothing changes (long closures, no windows).
_HORIZON_DAYS = 400


def is_permitted(site: SiteSettings, permits: Iterable[PermitSettings], at: datetime) -> bool:
    """Whether work on ``site`` is allowed at instant ``at`` (timezone-aware).

    A site without a schedule has no out-of-hours rule: always True. Permits
    for other sites are ignored, so the full permit list can be passed.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("is_permitted needs a timezone-aware datetime")
    if site.schedule is None:
        return True
    local = at.astimezone(site.zone)
    day, minute = local.date(), _minute_of_day(local)
    if _in_windows(site.schedule.windows_starting_on, day, minute):
        return True
    return any(permit_allows(p, site.zone, at) for p in permits if p.site == site.id)


def permit_allows(permit: PermitSettings, zone: ZoneInfo, at: datetime) -> bool:
    """Whether ``permit`` (for a site in ``zone``) makes work at instant ``at`` legal."""
    if _is_instant_bound(permit.valid_from) and at < as_instant(permit.valid_from, zone, end=False):
        return False
    if _is_instant_bound(permit.valid_to) and at >= as_instant(permit.valid_to, zone, end=True):
        return False
    local = at.astimezone(zone)
    return _in_windows(lambda d: _permit_windows_starting_on(permit, d), local.date(), _minute_of_day(local))


def next_change(site: SiteSettings, permits: Iterable[PermitSettings], at: datetime) -> datetime | None:
    """The first instant after ``at`` at which ``is_permitted`` changes, in UTC; None if it never does.

    Useful to a live service that must notice "permitted hours begin" even
    when no frame arrives. Looks up to about a year ahead.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("next_change needs a timezone-aware datetime")
    if site.schedule is None:
        return None
    permits = [p for p in permits if p.site == site.id]
    zone = site.zone
    now = is_permitted(site, permits, at)
    first_day = at.astimezone(zone).date() - timedelta(days=1)  # yesterday's window may end today
    horizon = 8
    while True:
        last_day = first_day + timedelta(days=horizon)
        days = [first_day + timedelta(days=i) for i in range(horizon + 1)]
        # Changes on a day need that day's and the previous day's windows, which are
        # all generated only up to last_day; a day's margin also absorbs DST at midnight.
        cutoff = _wall_to_utc(last_day, 0, zone, fold=0)
        for instant in sorted(c for c in _candidate_instants(site, permits, days) if at < c < cutoff):
            if is_permitted(site, permits, instant) != now:
                return instant
        if horizon >= _HORIZON_DAYS:
            return None
        horizon *= 2


# -- windows -----------------------------------------------------------------
def _minute_of_day(local: datetime) -> float:
    return local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60


def _in_windows(windows_starting_on, day: date, minute: float) -> bool:
    """``minute`` of local ``day`` lies in a window of that day, or of the day before crossing midnight."""
    return any(w.contains(0, minute) for w in windows_starting_on(day)) or any(
        w.contains(1, minute) for w in windows_starting_on(day - timedelta(days=1))
    )


def _is_day_bound(value: date | datetime) -> bool:
    return not isinstance(value, datetime)


def _is_instant_bound(value: date | datetime) -> bool:
    return isinstance(value, datetime)


def _permit_windows_starting_on(permit: PermitSettings, day: date) -> tuple[TimeWindow, ...]:
    # Date bounds select the days whose windows count; instant bounds are checked in permit_allows.
    if _is_day_bound(permit.valid_from) and day < permit.valid_from:
        return ()
    if _is_day_bound(permit.valid_to) and day > permit.valid_to:
        return ()
    if day.weekday() not in permit.days:
        return ()
    return permit.hours or _WHOLE_DAY


# -- next_change candidates ----------------------------------------------------
def _candidate_instants(site: SiteSettings, permits: list[PermitSettings], days: list[date]) -> set[datetime]:
    """Every instant in ``days`` at which the answer could change.

    Window edges and midnights (both passes of a repeated local time), permit
    bounds, and DST transitions (where an edge inside a skipped hour takes effect).
    """
    zone = site.zone
    assert site.schedule is not None  # next_change returns early otherwise
    minutes: set[tuple[date, int]] = set()
    for day in days:
        minutes.add((day, 0))
        windows = list(site.schedule.windows_starting_on(day))
        for permit in permits:
            windows.extend(_permit_windows_starting_on(permit, day))
        for w in windows:
            minutes.add((day, w.start))
            minutes.add((day, w.end) if not w.crosses_midnight else (day + timedelta(days=1), w.end))
    instants = {_wall_to_utc(day, minute, zone, fold) for day, minute in minutes for fold in (0, 1)}
    for permit in permits:
        for bound, end in ((permit.valid_from, False), (permit.valid_to, True)):
            if _is_instant_bound(bound):
                instants.add(as_instant(bound, zone, end=end).astimezone(UTC))
    instants.update(_offset_changes(zone, days[0], days[-1] + timedelta(days=2)))
    return instants


def _wall_to_utc(day: date, minute: int, zone: ZoneInfo, fold: int) -> datetime:
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _offset_changes(zone: ZoneInfo, first: date, last: date) -> list[datetime]:
    """Instants (UTC) in local days ``[first, last)`` at which the zone's UTC offset changes.

    Assumes at most one change a day, which holds for every zone in practice.
    """
    changes = []
    start = int(datetime.combine(first, time(), tzinfo=zone).timestamp())
    for i in range((last - first).days):
        lo, hi = start + i * 86_400, start + (i + 1) * 86_400
        before = _offset_at(zone, lo)
        if before == _offset_at(zone, hi):
            continue
        while hi - lo > 1:  # offsets change on whole seconds: bisect to the first one with the new offset
            mid = (lo + hi) // 2
            if _offset_at(zone, mid) == before:
                lo = mid
            else:
                hi = mid
        changes.append(datetime.fromtimestamp(hi, UTC))
    return changes


def _offset_at(zone: ZoneInfo, timestamp: int) -> timedelta | None:
    return datetime.fromtimestamp(timestamp, zone).utcoffset()
