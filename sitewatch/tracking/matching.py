"""One-to-one assignment of boxes to tracks by overlap."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from sitewatch.types import box_iou

_EMPTY = np.zeros(0, np.intp)
# Lifts a pair whose IoU equals the threshold exactly above "no pair" (gain 0).
_TIE_LIFT = 1e-6


def buffered(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    """Boxes grown by ``buffer`` times their width and height on every side (no copy when 0)."""
    if buffer == 0.0 or len(xyxy) == 0:
        return xyxy
    size = xyxy[:, 2:] - xyxy[:, :2]
    return np.concatenate([xyxy[:, :2] - buffer * size, xyxy[:, 2:] + buffer * size], axis=1)


def match_by_iou(
    det_xyxy: np.ndarray,
    det_group: np.ndarray,
    track_xyxy: np.ndarray,
    track_group: np.ndarray,
    min_iou: float,
    buffer: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair boxes with tracks; returns (box indices, track indices) of equal length.

    A pair is allowed when both belong to the same class group and their IoU is at
    least ``min_iou``. Among allowed pairs the assignment maximises the summed
    ``IoU - min_iou``. Giving forbidden pairs a gain of 0 and dropping them
    afterwards is exact: in a complete bipartite graph any partial matching can be
    padded with zero-gain pairs, so the solver never trades a good pair for
    coverage (which a plain "forbidden = huge cost" matrix would).

    ``buffer`` > 0 measures the overlap of both boxes grown by that share of
    their size on every side (buffered IoU, Yang et al. 2023, "Hard to Track
    Objects with Irregular Motions and Similar Appearances? Make It Easier by
    Buffering the Matching Space"): a small head that moves more than its own
    width between scored frames, or whose box jitters by a few pixels, still
    overlaps its track's prediction.
    """
    if len(det_xyxy) == 0 or len(track_xyxy) == 0:
        return _EMPTY, _EMPTY
    iou = box_iou(buffered(det_xyxy, buffer), buffered(track_xyxy, buffer))
    allowed = (iou >= min_iou) & (det_group[:, None] == track_group[None, :])
    # Solve only over rows and columns that have some allowed pair: usually far smaller.
    rows = np.flatnonzero(allowed.any(axis=1))
    if len(rows) == 0:
        return _EMPTY, _EMPTY
    cols = np.flatnonzero(allowed.any(axis=0))
    sub_allowed = allowed[np.ix_(rows, cols)]
    gain = np.where(sub_allowed, iou[np.ix_(rows, cols)] - min_iou + _TIE_LIFT, 0.0)
    r, c = linear_sum_assignment(gain, maximize=True)
    keep = sub_allowed[r, c]
    return rows[r[keep]], cols[c[keep]]
