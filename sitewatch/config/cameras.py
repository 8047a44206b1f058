"""``cameras:``: where each camera's stream comes from, how often it is scored, and its zones.

A camera URL often carries credentials (``rtsp://user:pass@host/...``). It is
held as a ``SecretStr``: ``repr``, ``str`` and JSON output show ``**********``;
``display_url`` gives a form with the credentials removed for logs and the API.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator

from sitewatch.config.base import Section
from sitewatch.config.fields import Identifier
from sitewatch.config.tracker import TrackerSettings
from sitewatch.config.zones import ZonesSettings
from sitewatch.redact import REDACTED, redact_query

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "file", "udp", "tcp", "srt"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def redact_url(url: str) -> str:
    """``url`` without user name, password or credential-looking query values.

    Anything that is not a ``scheme://`` URL (a file path, a device number) is
    returned unchanged.
    """
    if not _SCHEME.match(url):
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{url.split('://', 1)[0]}://{REDACTED}"  # unparseable: show nothing that could be a secret
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if "@" in parts.netloc:
        netloc = f"{REDACTED}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(redact_query(pairs), safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class CameraSettings(Section):
    # A failed check on the URL must not echo it (pydantic puts the input into its error text).
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    id: Identifier = Field(description="camera id; the source id of its frames and events")
    site: Identifier = Field(description="id of the site the camera watches")
    name: str | None = Field(None, max_length=200)
    url: SecretStr = Field(description="stream URL (rtsp://, http://, a file path); may carry credentials")
    fps: float = Field(2.0, gt=0, le=30, description="frames scored per second (sampling rate)")
    tiles: Literal["auto", "on", "off"] | None = Field(
        None, description="overrides detector.tiles for this camera (e.g. 'on' for a wide 4K view)"
    )
    zoom: float | None = Field(
        None, ge=1.0, le=4.0, description="overrides detector.zoom for this camera (e.g. 2 for 8-15 px heads)"
    )
    tracker: TrackerSettings | None = Field(
        None, description="replaces the tracker section for this camera (e.g. a match_buffer for small heads)"
    )
    zones: ZonesSettings = ZonesSettings()

    @field_validator("url")
    @classmethod
    def _usable_url(cls, url: SecretStr) -> SecretStr:
        # Messages here never include the value: it may hold a password.
        value = url.get_secret_value()
        if not value.strip():
            raise ValueError("the camera URL is empty")
        if any(c.isspace() or ord(c) < 32 for c in value):
            raise ValueError("the camera URL contains spaces or control characters (percent-encode them)")
        scheme = _SCHEME.match(value)
        if scheme and scheme.group(1).lower() not in STREAM_SCHEMES:
            raise ValueError(
                f"unsupported URL scheme '{scheme.group(1)}'; use one of {', '.join(sorted(STREAM_SCHEMES))}"
            )
        return url

    @property
    def display_url(self) -> str:
        """The URL with credentials removed: safe for logs, errors and API output."""
        return redact_url(self.url.get_secret_value())
