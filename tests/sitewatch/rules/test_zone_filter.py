"""ZoneFilter: work zones and ignore masks, judged by each box's anchor point."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.config.cameras import CameraSettings
from sitewatch.config.zones import ZonesSettings
from sitewatch.rules.zones import ZoneFilter, anchor_points, points_in_polygon
from sitewatch.types import Detections

CLASSES = ("head", "helmet", "person")


def detections(*rows: tuple[str, tuple[float, float, float, float]], tracked: bool = False) -> Detections:
    xyxy = np.array([box for _, box in rows], np.float32).reshape(-1, 4)
    class_id = np.array([CLASSES.index(name) for name, _ in rows], np.int32)
    confidence = np.linspace(0.5, 0.9, len(rows)).astype(np.float32)
    tracker_id = np.arange(1, len(rows) + 1) if tracked else None
    return Detections(xyxy, confidence, class_id, CLASSES, tracker_id)


def zones(work=(), ignore=()) -> ZonesSettings:
    return ZonesSettings.model_validate(
        {"work": [{"points": p} for p in work], "ignore": [{"points": p} for p in ignore]}
    )


SQUARE = [[0, 0], [100, 0], [100, 100], [0, 100]]
# A concave "L": the notch (60..100, 0..60) is outside.
L_SHAPE = [[0, 0], [60, 0], [60, 60], [100, 60], [100, 100], [0, 100]]


@pytest.mark.parametrize(
    ("polygon", "point", "inside"),
    [
        (SQUARE, (50, 50), True),
        (SQUARE, (150, 50), False),
        (SQUARE, (-1, 50), False),
        (SQUARE, (50, 101), False),
        (L_SHAPE, (30, 30), True),
        (L_SHAPE, (80, 30), False),  # in the notch
        (L_SHAPE, (80, 80), True),
        (L_SHAPE, (30, 90), True),
    ],
)
def test_points_in_polygon(polygon, point, inside) -> None:
    result = points_in_polygon(np.array([point], np.float64), np.array(polygon, np.float64))
    assert result.tolist() == [inside]


def test_anchor_is_bottom_centre_for_people_and_centre_for_heads() -> None:
    dets = detections(("person", (10, 20, 30, 100)), ("head", (10, 20, 30, 40)), ("helmet", (0, 0, 10, 10)))
    assert anchor_points(dets).tolist() == [[20, 99.5], [20, 30], [5, 5]]


@pytest.mark.parametrize("frame_bottom", [200, 1080])
def test_a_worker_cut_off_by_the_frame_bottom_stands_in_a_zone_drawn_to_it(frame_bottom) -> None:
    # The detector clips boxes to the frame: his feet are on the frame's edge, and so is the zone's.
    work = [[0, 0], [1920, 0], [1920, frame_bottom], [0, frame_bottom]]
    cut_off = detections(("person", (100, frame_bottom - 150, 300, frame_bottom)))
    kept = ZoneFilter(zones(work=[work])).apply(cut_off)
    assert len(kept) == 1


# A 200x200 picture: work zone is the bottom half; a "pavement" mask covers its right quarter.
WORK = [[0, 100], [200, 100], [200, 200], [0, 200]]
PAVEMENT = [[150, 0], [200, 0], [200, 200], [150, 200]]


@pytest.mark.parametrize(
    ("zone_settings", "rows", "kept"),
    [
        # no zones: everything counts
        (zones(), [("head", (10, 10, 20, 20)), ("person", (150, 0, 190, 50))], [0, 1]),
        # work zone only: a person whose feet are in it counts even if the head is outside
        (zones(work=[WORK]), [("person", (10, 20, 40, 150)), ("head", (10, 20, 40, 50))], [0]),
        (zones(work=[WORK]), [("person", (10, 20, 40, 90)), ("helmet", (10, 110, 40, 140))], [1]),
        # ignore mask only: everything except the pavement
        (zones(ignore=[PAVEMENT]), [("head", (160, 10, 180, 30)), ("head", (10, 10, 30, 30))], [1]),
        # both: inside the work zone and outside the mask
        (
            zones(work=[WORK], ignore=[PAVEMENT]),
            [
                ("person", (20, 50, 60, 180)),  # feet in the work zone
                ("person", (160, 50, 190, 180)),  # feet on the pavement
                ("helmet", (20, 20, 40, 40)),  # above the work zone
                ("head", (100, 120, 120, 140)),  # in the work zone
            ],
            [0, 3],
        ),
        # several work polygons: inside any counts
        (
            zones(work=[[[0, 0], [50, 0], [50, 50], [0, 50]], WORK]),
            [("head", (10, 10, 20, 20)), ("head", (60, 10, 80, 30)), ("head", (60, 150, 80, 170))],
            [0, 2],
        ),
    ],
)
def test_zone_filter_keeps_rows_in_work_zone_outside_masks(zone_settings, rows, kept) -> None:
    dets = detections(*rows, tracked=True)
    filtered = ZoneFilter(zone_settings).apply(dets)
    assert filtered == dets[np.array(kept, dtype=np.int64)]
    assert filtered.tracker_id.tolist() == [i + 1 for i in kept]


def test_zone_filter_on_empty_detections_and_input_untouched() -> None:
    zone_filter = ZoneFilter(zones(work=[WORK], ignore=[PAVEMENT]))
    assert len(zone_filter.apply(Detections.empty(CLASSES))) == 0
    dets = detections(("head", (160, 120, 180, 140)), ("head", (10, 120, 30, 140)))
    before = dets.xyxy.copy()
    assert len(zone_filter.apply(dets)) == 1
    assert np.array_equal(dets.xyxy, before) and len(dets) == 2


def test_zone_filter_for_a_configured_camera_and_for_none() -> None:
    camera = CameraSettings.model_validate(
        {"id": "c1", "site": "s1", "url": "rtsp://192.0.2.1/x", "zones": {"ignore": [{"points": PAVEMENT}]}}
    )
    dets = detections(("head", (160, 120, 180, 140)), ("head", (10, 120, 30, 140)))
    assert len(ZoneFilter.for_camera(camera).apply(dets)) == 1
    assert ZoneFilter.for_camera(None).keeps_everything
    assert ZoneFilter.for_camera(None).apply(dets) == dets
