"""Keep only the detections that stand in a camera's work zone and outside its ignore masks.

Each box is judged by one anchor point, where the thing it shows touches the
scene: the bottom-centre of a ``person`` box (the feet: a person standing on
the pavement behind the fence is on the pavement, however far up the picture
their head reaches) and the centre of any other box (``head``, ``helmet``).
A point exactly on a polygon edge may fall either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sitewatch.config.cameras import CameraSettings
from sitewatch.config.zones import Polygon, ZonesSettings
from sitewatch.types import Detections

FOOT_ANCHORED_CLASSES = ("person",)
# The foot point sits this far above the box's bottom edge. The detector clips boxes to the
# frame, so a worker cut off by its bottom edge has y2 == height: exactly on the edge of a
# zone drawn to the frame's bottom, where the even-odd test may answer either way.
FOOT_INSET_PX = 0.5


def anchor_points(detections: Detections) -> np.ndarray:
    """(N, 2) float64 anchor points: bottom-centre (half a pixel up) for person boxes, centre otherwise."""
    xyxy = detections.xyxy.astype(np.float64)
    x = (xyxy[:, 0] + xyxy[:, 2]) / 2
    feet = np.maximum(xyxy[:, 3] - FOOT_INSET_PX, xyxy[:, 1])
    y = np.where(detections.class_mask(*FOOT_ANCHORED_CLASSES), feet, (xyxy[:, 1] + xyxy[:, 3]) / 2)
    return np.stack([x, y], axis=1)


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Boolean (N,): which of ``points`` (N, 2) lie inside ``polygon`` (E, 2), by the even-odd rule.

    A ray from each point towards +x crosses the polygon's edges an odd number
    of times when the point is inside; all points x all edges at once.
    """
    px = points[:, 0:1]
    py = points[:, 1:2]
    x1, y1 = polygon[:, 0], polygon[:, 1]
    x2, y2 = np.roll(polygon[:, 0], -1), np.roll(polygon[:, 1], -1)
    straddles = (y1 > py) != (y2 > py)  # (N, E): the edge spans the point's height
    with np.errstate(divide="ignore", invalid="ignore"):
        # Horizontal edges never straddle, so their division by zero is masked out.
        x_at_py = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    crossings = straddles & (px < x_at_py)
    return (np.count_nonzero(crossings, axis=1) % 2) == 1


def _inside_any(points: np.ndarray, polygons: Sequence[np.ndarray]) -> np.ndarray:
    inside = np.zeros(len(points), dtype=bool)
    for polygon in polygons:  # a handful of polygons per camera; each test is vectorised over boxes
        inside |= points_in_polygon(points, polygon)
    return inside


def _as_arrays(polygons: Sequence[Polygon]) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(p.points, dtype=np.float64) for p in polygons)


class ZoneFilter:
    """A camera's zones, ready to filter that camera's detections every frame."""

    def __init__(self, zones: ZonesSettings = ZonesSettings()):
        self._work = _as_arrays(zones.work)
        self._ignore = _as_arrays(zones.ignore)

    @classmethod
    def for_camera(cls, camera: CameraSettings | None) -> ZoneFilter:
        """The camera's filter; a camera not in the config keeps everything."""
        return cls(camera.zones if camera is not None else ZonesSettings())

    @property
    def keeps_everything(self) -> bool:
        return not self._work and not self._ignore

    def mask(self, detections: Detections) -> np.ndarray:
        """Boolean (N,): the rows ``apply`` keeps."""
        if self.keeps_everything or len(detections) == 0:
            return np.ones(len(detections), dtype=bool)
        points = anchor_points(detections)
        keep = _inside_any(points, self._work) if self._work else np.ones(len(points), dtype=bool)
        if self._ignore:
            keep &= ~_inside_any(points, self._ignore)
        return keep

    def apply(self, detections: Detections) -> Detections:
        """A new ``Detections`` with the rows whose anchor is in the work zone and in no ignore mask."""
        if self.keeps_everything:
            return detections  # frozen: sharing the same value is safe
        return detections[self.mask(detections)]

    # The pipeline takes any ``Detections -> Detections`` callable as its zone filter.
    __call__ = apply
