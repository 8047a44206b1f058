"""Draw tracked detections and open violations on frames (annotated video output)."""

from __future__ import annotations

import cv2
import numpy as np

from sitewatch.types import Detections

# BGR colours per class name; violations in red, compliance in green.
CLASS_COLOURS = {"head": (0, 0, 255), "helmet": (0, 200, 0), "person": (255, 160, 0)}
DEFAULT_COLOUR = (200, 200, 200)


def annotate(image: np.ndarray, detections: Detections, header: str = "") -> np.ndarray:
    """Return a copy of ``image`` with every box, its class, confidence and track id."""
    out = image.copy()
    names = detections.names
    tracks = detections.tracker_id
    for i, (x1, y1, x2, y2) in enumerate(detections.xyxy.astype(int)):
        colour = CLASS_COLOURS.get(names[i], DEFAULT_COLOUR)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        track = f"#{tracks[i]} " if tracks is not None and tracks[i] >= 0 else ""
        cv2.putText(
            out, f"{track}{names[i]} {detections.confidence[i]:.2f}", (x1, max(10, y1 - 3)),
            cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA,
        )
    if header:
        cv2.putText(out, header, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
        cv2.putText(out, header, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return out


class AnnotatedVideo:
    """An MP4 of annotated frames (written lazily: the size comes from the first frame)."""

    def __init__(self, path, fps: float):
        self.path = path
        self.fps = fps
        self._writer: cv2.VideoWriter | None = None

    def write(self, image: np.ndarray) -> None:
        if self._writer is None:
            h, w = image.shape[:2]
            self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*"mp4v"), self.fps, (w, h))
            if not self._writer.isOpened():
                raise RuntimeError(f"cannot write {self.path}")
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
