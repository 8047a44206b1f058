"""sitewatch: construction-site camera safety monitoring."""

__version__ = "0.1.0"
