"""Opaque cursors for keyset pagination: base64url of a small JSON list."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from sitewatch.api.errors import ApiError


def encode_cursor(*parts: object) -> str:
    raw = json.dumps([p.isoformat() if isinstance(p, datetime) else p for p in parts], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_event_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        started, event_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(started)
        if when.tzinfo is None or not isinstance(event_id, str):
            raise ValueError
        # In UTC here, as stored: a time at the edge of year 1 or 9999 whose
        # offset pushes it out of range is refused now, not when it is bound.
        return when.astimezone(UTC), event_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned") from None


def decode_id_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        (value,) = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**62:
            raise ValueError
        return value
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "bad_cursor", "cursor is not one this API returned") from None
