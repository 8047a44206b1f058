"""Frame sources: recorded video files and live RTSP cameras behind one interface.

- ``source.FrameSource``: what the pipeline reads from (``read``, ``finished``, ``stats``, ``close``);
- ``file.VideoFileSource``: a recording, every frame, nothing dropped;
- ``camera.CameraReader``: a live camera in its own thread, newest frame only, reconnecting forever;
- ``state``: source states, state-change notices and counter snapshots for the API and metrics.
"""

from sitewatch.streams.camera import CameraReader
from sitewatch.streams.file import SourceError, VideoFileSource
from sitewatch.streams.source import FrameSource
from sitewatch.streams.state import FROZEN, SourceState, SourceStats, StateChange

__all__ = [
    "FROZEN",
    "CameraReader",
    "FrameSource",
    "SourceError",
    "SourceState",
    "SourceStats",
    "StateChange",
    "VideoFileSource",
]
