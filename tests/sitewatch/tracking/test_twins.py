"""TwinFilter: of a head boxed as both `head` and `helmet`, only the surer box goes on to tracking."""

from __future__ import annotations

import pytest

from sitewatch.tracking.bytetrack import DEFAULT_CLASS_GROUPS
from sitewatch.tracking.twins import TwinFilter
from sitewatch.types import Detections

NAMES = ("head", "helmet", "person")
A = (100.0, 100.0, 120.0, 120.0)
A_SHIFTED = (102.0, 101.0, 122.0, 121.0)  # IoU with A about 0.82
A_HALF = (110.0, 100.0, 130.0, 120.0)  # IoU with A exactly 1/3
FAR = (300.0, 300.0, 320.0, 320.0)


def dets(rows: list[tuple[tuple[float, ...], float, str]], names: tuple[str, ...] = NAMES) -> Detections:
    return Detections([r[0] for r in rows], [r[1] for r in rows], [names.index(r[2]) for r in rows], names)


def kept(rows, iou: float = 0.5, names: tuple[str, ...] = NAMES) -> list[tuple[str, float]]:
    out = TwinFilter(DEFAULT_CLASS_GROUPS, iou).update(dets(rows, names))
    return [(out.class_names[c], round(float(s), 2)) for c, s in zip(out.class_id, out.confidence)]


@pytest.mark.parametrize(
    ("rows", "iou", "expected"),
    [
        # A head called both: the surer label stays, whichever it is.
        ([(A, 0.8, "head"), (A_SHIFTED, 0.5, "helmet")], 0.5, [("head", 0.8)]),
        ([(A, 0.45, "head"), (A_SHIFTED, 0.8, "helmet")], 0.5, [("helmet", 0.8)]),
        # Overlapping less than `iou`: two heads side by side, both stay.
        ([(A, 0.8, "head"), (A_HALF, 0.5, "helmet")], 0.5, [("head", 0.8), ("helmet", 0.5)]),
        ([(A, 0.8, "head"), (A_HALF, 0.5, "helmet")], 0.3, [("head", 0.8)]),
        # A person box over a head is another object, never a twin.
        ([(A, 0.8, "head"), (A, 0.9, "person")], 0.5, [("head", 0.8), ("person", 0.9)]),
        # Far apart: untouched, and the input order is kept.
        ([(FAR, 0.3, "helmet"), (A, 0.8, "head")], 0.5, [("helmet", 0.3), ("head", 0.8)]),
        # iou 1: nothing is ever a twin.
        ([(A, 0.8, "head"), (A, 0.5, "helmet")], 1.0, [("head", 0.8), ("helmet", 0.5)]),
        # Three labels on one head (a chain): only the surest stays.
        ([(A, 0.4, "head"), (A_SHIFTED, 0.7, "helmet"), (A, 0.6, "head")], 0.5, [("helmet", 0.7)]),
    ],
)
def test_only_the_surer_of_two_labels_on_one_head_stays(rows, iou, expected):
    assert kept(rows, iou) == expected


def test_a_model_with_other_class_names_is_handled_by_name():
    names = ("person", "helmet", "head", "vest")
    rows = [(A, 0.8, "head"), (A_SHIFTED, 0.5, "helmet"), (A, 0.9, "vest"), (A_SHIFTED, 0.7, "vest")]
    # head/helmet are one group; vest is in none and is left alone.
    assert kept(rows, names=names) == [("head", 0.8), ("vest", 0.9), ("vest", 0.7)]


def test_empty_and_single_detections_pass_through_unchanged():
    twins = TwinFilter(DEFAULT_CLASS_GROUPS, 0.5)
    empty = Detections.empty(NAMES)
    one = dets([(A, 0.8, "head")])
    assert twins.update(empty) is empty
    assert twins.update(one) is one
