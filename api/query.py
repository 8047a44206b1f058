"""Query helpers shared by routes: site scoping and event lookups with object-level checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from sitewatch.api.auth import require_site
from sitewatch.api.errors import not_found
from sqlalchemy import Select
from sqlalchemy.orm import Session

from sitewatch.store.keys import Principal
from sitewatch.store.models import Event, Evidence
from sitewatch.store.payload import event_payload


def scope_to_sites(query: Select, column, sites: frozenset[str] | None) -> Select:
    return query if sites is None else query.where(column.in_(sorted(sites)))


def event_for(session: Session, event_id: str, principal: Principal) -> Event:
    row = session.get(Event, event_id) if len(event_id) <= 36 else None
    if row is None:
        raise not_found("event")
    require_site(principal, row.site_id)
    return row


def event_out(session: Session, row: Event) -> dict:
    return event_payload(row, session.get(Evidence, row.id) is not None)


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00: past the last datetime once in UTC
        raise ValueError("out of range once converted to UTC") from None


# A time in a query string: timezone-aware, and representable in UTC, which is
# how the store compares it (a bad value is a 422 naming the parameter, not a 500).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
