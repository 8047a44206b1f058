"""One-to-one assignment of boxes to tracks by overlap."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from sitewatch.types import box_iou

_EMPTY = np.zeros(0, np.intp)
# Lifts a pair whose IoU equals the threshold exactly above "no pair" (gain 0).
_TIE_LIFT = 1e-6


def match_by_iou(
    det_xyxy: np.ndarray,
    det_group: np.ndarray,
    track_xyxy: np.ndarray,
    track_group: np.ndarray,
    min_iou: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair boxes with tracks; returns (box indices, track indices) of equal length.

    A pair is allowed when both belong to the same class group and their IoU is at
    least ``min_iou``. Among allowed pairs the assignment maximises the summed
    ``IoU - min_iou``. Giving forbidden pairs a gain of 0 and dropping them
    afterwards is exact: in a complete bipartite graph any partial matching can be
    padded with zero-gain pairs, so the solver never trades a good pair for
    coverage (which a plain "forbidden = huge cost" matrix would).
    """
    if len(det_xyxy) == 0 or len(track_xyxy) == 0:
        return _EMPTY, _EMPTY
    iou = box_iou(det_xyxy, track_xyxy)
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
