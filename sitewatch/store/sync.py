"""Mirror the configured sites and cameras into their tables (rows are added or updated, never deleted:
past events still point at them), and reset the stored camera status when a live service starts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sitewatch.store.models import Camera, Site
from sitewatch.store.types import utc_now


def sync_config(session: Session, settings) -> tuple[int, int]:
    """Upsert ``settings.sites`` and ``settings.cameras``; returns (sites, cameras) seen."""
    sites = tuple(getattr(settings, "sites", ()))
    cameras = tuple(getattr(settings, "cameras", ()))
    for site in sites:
        row = session.get(Site, site.id) or Site(id=site.id, created_at=utc_now())
        row.name, row.timezone, row.contractor = site.name, site.timezone, site.contractor
        session.add(row)
    session.flush()
    for camera in cameras:
        row = session.get(Camera, camera.id)
        if row is None:
            row = Camera(id=camera.id, status="unknown", created_at=utc_now())
        row.site_id, row.name, row.updated_at = camera.site, camera.name or camera.id, utc_now()
        session.add(row)
    return len(sites), len(cameras)


# A camera no longer configured is marked removed only if a live service reported on it:
# ``unknown`` rows (cameras only batch scoring saw) are no live camera's, and stay as they are.
REMOVED = "removed"
_NEVER_LIVE = ("unknown", REMOVED)


def reset_camera_status(session: Session, settings) -> int:
    """At the start of a live service: configured cameras are ``connecting`` until their readers report,
    and cameras a live service reported on but no longer configured are ``removed``; returns how many.

    Whatever the last run stored is stale: after a crash it still says ``online``, and a camera taken
    out of the config would say so for ever. (Not part of ``sync_config``: batch scoring syncs too.)
    """
    configured = {camera.id for camera in getattr(settings, "cameras", ())}
    removed = 0
    now = utc_now()
    for row in session.scalars(select(Camera)):
        if row.id in configured:
            row.status, row.updated_at = "connecting", now
        elif row.status not in _NEVER_LIVE:
            row.status, row.updated_at = REMOVED, now
            removed += 1
    return removed
