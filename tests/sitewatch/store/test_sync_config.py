"""Configured sites and cameras are mirrored into the store."""

from __future__ import annotations

from sitewatch.config import Settings
from sitewatch.store import open_store
from sitewatch.store.models import Camera, Site


def test_sync_config_upserts_sites_and_cameras(tmp_path):
    settings = Settings.model_validate(
        {
            "sites": [
                {"id": "north", "name": "North tower", "timezone": "Europe/Berlin", "contractor": "Acme Bau"}
            ],
            "cameras": [
                {"id": "gate", "site": "north", "name": "Gate", "url": "rtsp://user:pw@10.0.0.5/stream"}
            ],
        }
    )
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        assert store.sync_config(settings) == (1, 1)
        assert store.sync_config(settings) == (1, 1)
        with store.session() as session:
            site = session.get(Site, "north")
            camera = session.get(Camera, "gate")
            assert (site.name, site.timezone, site.contractor) == ("North tower", "Europe/Berlin", "Acme Bau")
            assert (camera.site_id, camera.name, camera.status) == ("north", "Gate", "unknown")
            assert session.query(Camera).count() == 1
    finally:
        store.close()
