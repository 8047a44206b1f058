"""Mirror the configured sites and cameras into their tables (rows are added or updated, never deleted:
past events still point at them)."""

from __future__ import annotations

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
