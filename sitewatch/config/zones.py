"""Per-camera ``zones:``: where on the picture people count.

Polygons are in the camera's image pixel coordinates (x to the right, y down,
origin at the top-left corner of the full-resolution frame the detector sees).
"""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from sitewatch.config.base import Section

Point = tuple[float, float]


def polygon_area(points: tuple[Point, ...]) -> float:
    """Unsigned area by the shoelace formula (0 for a degenerate polygon)."""
    n = len(points)
    twice = sum(
        points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1] for i in range(n)
    )
    return abs(twice) / 2.0


class Polygon(Section):
    """A closed polygon; the last point joins the first, so do not repeat it."""

    name: str | None = Field(None, max_length=100, description="what the polygon covers, for people reading")
    points: tuple[Point, ...] = Field(description="[x, y] pixel corners, at least 3")

    @field_validator("points")
    @classmethod
    def _usable_polygon(cls, points: tuple[Point, ...]) -> tuple[Point, ...]:
        if len(points) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
        for x, y in points:
            if not (math.isfinite(x) and math.isfinite(y)) or x < 0 or y < 0:
                raise ValueError(f"point [{x:g}, {y:g}] is outside the image (pixel coordinates are >= 0)")
        if polygon_area(points) <= 0:
            raise ValueError("the polygon has no area (its points lie on one line)")
        return points


class ZonesSettings(Section):
    """A camera's work zone and ignore masks.

    With no ``work`` polygon the whole picture is the work zone. A detection
    counts when its anchor point lies inside any ``work`` polygon and inside no
    ``ignore`` polygon (a public pavement, a billboard, a neighbour's yard).
    """

    work: tuple[Polygon, ...] = Field((), description="polygons where people count; none = the whole picture")
    ignore: tuple[Polygon, ...] = Field((), description="polygons where detections never count")
