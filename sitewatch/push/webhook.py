"""POST one message to one webhook target, signed."""

from __future__ import annotations

import time

import httpx

from sitewatch.config.push import WebhookTarget
from sitewatch.push.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from sitewatch.store.payload import encode_message as encode

USER_AGENT = "sitewatch-webhook/1"


class DeliveryFailed(Exception):
    """The receiver did not take the message; the text is safe to store and show (no secrets)."""


class WebhookSender:
    channel = "webhook"

    def __init__(self, target: WebhookTarget, client: httpx.Client | None = None):
        self.target = target
        self.name = f"webhook:{target.name}"
        self._client = client or httpx.Client(timeout=target.timeout_s, follow_redirects=False)

    def send(self, message: dict) -> None:
        body = encode(message)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: message["idempotency_key"],
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.target.secret.get_secret_value(), timestamp, body),
        }
        try:
            response = self._client.post(str(self.target.url), content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    def close(self) -> None:
        self._client.close()
