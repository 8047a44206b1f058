"""The one interface the pipeline reads frames through, live or recorded.

Both ``CameraReader`` (a live camera: newest frame only, sampled at the
camera's rate, drops counted) and ``VideoFileSource`` (a recording: every
frame, in order, nothing dropped) satisfy ``FrameSource``, so the service and
batch scoring share one loop::

    while not source.finished:
        frame = source.read(timeout=0.5)   # None: nothing new yet (or the end)
        if frame is not None:
            ...                            # detect, track, rules
    source.close()

``read`` may raise ``SourceError`` for a recording that fails to decode; a
live camera never raises, it reports trouble through its state instead.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sitewatch.streams.state import SourceStats
from sitewatch.types import Frame


@runtime_checkable
class FrameSource(Protocol):
    source_id: str

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame, waiting up to ``timeout`` s (None: as long as it takes); None if none came."""
        ...

    @property
    def finished(self) -> bool:
        """True once no frame will ever come again (end of a recording, or closed)."""
        ...

    def stats(self) -> SourceStats: ...

    def close(self) -> None: ...
