"""The live service behind ``sitewatch serve``: cameras -> shared detector -> rules -> store, API and push."""

from sitewatch.service.service import Service, ServiceError

__all__ = ["Service", "ServiceError"]
