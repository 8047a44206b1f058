"""Per-camera multi-object tracking: ``ByteTrack`` gives boxes ids that last across frames."""

from sitewatch.tracking.bytetrack import ByteTrack

__all__ = ["ByteTrack"]
