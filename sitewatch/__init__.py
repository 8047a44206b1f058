"""sitewatch: construction-site camera safety monitoring."""

import os

# FFmpeg and OpenCV print their own warnings (e.g. "moov atom not found") on
# stderr when given a damaged or non-video file. sitewatch reports those
# conditions itself in one clear line, so their noise is silenced unless the
# user asked for it. Must run before cv2 is first imported.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

__version__ = "0.1.0"
