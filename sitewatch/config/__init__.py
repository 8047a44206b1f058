"""sitewatch configuration: pydantic sections, one per file, built once at the entry point."""

from sitewatch.config.loader import ConfigError, load_settings
from sitewatch.config.settings import Settings

__all__ = ["ConfigError", "Settings", "load_settings"]
