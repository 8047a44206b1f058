"""``api:`` section: the HTTP API server."""

from pydantic import Field

from sitewatch.config.base import Section


class ApiSettings(Section):
    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8080, ge=1, le=65535)
    page_size_max: int = Field(
        500, ge=1, le=10_000, description="most events one page of GET /events returns"
    )
    stream_poll_s: float = Field(
        1.0, gt=0, le=60, description="how often the SSE stream looks for new changes"
    )
    stream_keepalive_s: float = Field(
        15.0, gt=0, le=600, description="idle time before an SSE keep-alive comment"
    )
