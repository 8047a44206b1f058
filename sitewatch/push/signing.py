"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the target's shared secret.

The timestamp is signed too, so a receiver can refuse replays of old requests.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Sitewatch-Signature"
TIMESTAMP_HEADER = "X-Sitewatch-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret: str | bytes, timestamp: int, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str | bytes,
    signature: str | bytes,
    timestamp: str | int,
    body: bytes,
    *,
    tolerance_s: float | None = 300,
    now: float | None = None,
) -> bool:
    """Receiver-side check: valid signature and, unless ``tolerance_s`` is None, a recent timestamp."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if tolerance_s is not None and abs((time.time() if now is None else now) - ts) > tolerance_s:
        return False
    # compare bytes: compare_digest refuses str with non-ASCII characters (a forged header may have them)
    if isinstance(signature, str):
        signature = signature.encode("utf-8", "replace")
    if not isinstance(signature, bytes):
        return False
    return hmac.compare_digest(sign(secret, ts, body).encode(), signature)
