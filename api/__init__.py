"""HTTP API (FastAPI) over the event store: ``create_app(store_or_settings_or_url)``."""

from sitewatch.api.app import PREFIX, create_app

__all__ = ["PREFIX", "create_app"]
