"""Assignment of boxes to tracks: IoU gate, class-group gate, best total overlap."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.tracking.matching import match_by_iou

A = [0, 0, 10, 10]
A_SHIFT = [2, 0, 12, 10]  # IoU with A = 8/12 ~ 0.67
A_FAR_SHIFT = [6, 0, 16, 10]  # IoU with A = 4/16 = 0.25
B = [100, 100, 110, 110]


def pairs(dets, det_groups, tracks, track_groups, min_iou):
    d, t = match_by_iou(
        np.array(dets, np.float32).reshape(-1, 4),
        np.array(det_groups, np.int64),
        np.array(tracks, np.float32).reshape(-1, 4),
        np.array(track_groups, np.int64),
        min_iou,
    )
    assert d.dtype.kind == t.dtype.kind == "i"
    return sorted(zip(d.tolist(), t.tolist()))


@pytest.mark.parametrize(
    ("dets", "det_groups", "tracks", "track_groups", "min_iou", "expected"),
    [
        ([], [], [A], [0], 0.2, []),
        ([A], [0], [], [], 0.2, []),
        ([A], [0], [A], [0], 0.2, [(0, 0)]),
        ([A], [0], [A], [1], 0.2, []),  # other class group
        ([A_FAR_SHIFT], [0], [A], [0], 0.2, [(0, 0)]),
        ([A_FAR_SHIFT], [0], [A], [0], 0.3, []),  # below the IoU gate
        ([A], [0], [A], [0], 1.0, [(0, 0)]),  # IoU exactly at the gate counts
        ([B, A], [0, 0], [A, B], [0, 0], 0.2, [(0, 1), (1, 0)]),
        ([A, B], [0, 1], [B, A], [1, 0], 0.2, [(0, 1), (1, 0)]),
        # Two boxes want one track: the better overlap wins, the other stays unmatched.
        ([A_FAR_SHIFT, A_SHIFT], [0, 0], [A], [0], 0.2, [(1, 0)]),
    ],
)
def test_match_by_iou(dets, det_groups, tracks, track_groups, min_iou, expected):
    assert pairs(dets, det_groups, tracks, track_groups, min_iou) == expected


def test_prefers_total_overlap_over_number_of_pairs():
    # det0 overlaps track0 well and track1 barely; det1 overlaps only track0, barely.
    # Maximising pairs would give det0-track1 + det1-track0; the best overlap is det0-track0 alone
    # when the gains of the two weak pairs together are smaller.
    track0 = [0, 0, 10, 10]
    track1 = [8, 0, 18, 10]
    det0 = [0, 0, 10, 10]  # IoU 1.0 with track0, 2/18 ~ 0.11 with track1
    det1 = [-8, 0, 2, 10]  # IoU 2/18 ~ 0.11 with track0
    assert pairs([det0, det1], [0, 0], [track0, track1], [0, 0], 0.1) == [(0, 0)]
