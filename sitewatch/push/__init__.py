"""Push alerts: webhook and MQTT delivery workers that drain the store's outbox, at least once."""

from sitewatch.push.service import PushService
from sitewatch.push.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "PushService", "sign", "verify"]
