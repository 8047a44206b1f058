"""What the service, the API and the metrics learn about a frame source.

- ``SourceState``: where a source stands (a camera goes connecting ->
  streaming, and on trouble to offline or stalled and back to connecting;
  ``closed`` is final: stopped, or a recording that ended);
- ``StateChange``: one transition, with its reason, as given to the
  ``on_change`` callback and logged as one line;
- ``SourceStats``: a frozen snapshot of a source's counters.

Everything here is safe to show: URLs are the redacted display form.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import Enum


class SourceState(str, Enum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALLED = "stalled"  # connected, but no frame (or a frozen picture) for too long
    OFFLINE = "offline"  # cannot connect, or the connection was lost
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


# The reason a camera is flagged when its picture stopped changing.
FROZEN = "frozen"


@dataclass(frozen=True, slots=True)
class StateChange:
    source_id: str
    old: SourceState
    new: SourceState
    reason: str
    at: datetime  # UTC
    retry_in_s: float | None = None  # set when the reader will try again after this wait

    def describe(self) -> str:
        """One log line, e.g. ``camera cam1: streaming -> offline (connection lost); retry in 4.2 s``."""
        text = f"camera {self.source_id}: {self.old} -> {self.new}"
        if self.reason:
            text += f" ({self.reason})"
        if self.retry_in_s is not None:
            text += f"; retry in {self.retry_in_s:.1f} s"
        return text


@dataclass(frozen=True, slots=True)
class SourceStats:
    """Counters of one source at one moment; all counts are monotonic (for Prometheus counters).

    ``frames_read`` counts every decoded frame; a live camera offers only
    ``fps`` of them per second (``frames_sampled``), and of those the consumer
    took ``frames_delivered``; ``drops`` were replaced by a newer frame before
    they were taken (the consumer is too slow). A recording drops nothing.
    """

    source_id: str
    url: str  # redacted: no user name, password or secret query values
    state: SourceState
    reason: str
    since: datetime  # UTC time of the last state change
    frozen: bool
    frames_read: int
    frames_sampled: int
    frames_delivered: int
    drops: int
    reconnects: int  # times streaming resumed after it had stopped
    failed_frames: int
    last_frame_at: datetime | None  # UTC wall-clock time the newest frame was read
    fps: float  # estimated rate frames arrive at while streaming; 0 otherwise
    sample_fps: float | None  # configured sampling rate; None: every frame (recordings)
    width: int | None  # of the newest frame; may change after a reconnect
    height: int | None

    def as_dict(self) -> dict:
        """JSON-ready: enums as strings, times as ISO 8601."""
        data = asdict(self)
        data["state"] = self.state.value
        for key in ("since", "last_frame_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data
