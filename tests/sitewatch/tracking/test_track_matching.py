"""Assignment of boxes to tracks: IoU gate, class-group gate, best total overlap."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.tracking.matching import buffered, match_by_iou

A = [0, 0, 10, 10]
A_SHIFT = [2, 0, 12, 10]  # IoU with A = 8/12 ~ 0.67
A_FAR_SHIFT = [6, 0, 16, 10]  # IoU with A = 4/16 = 0.25
B = [100, 100, 110, 110]


A_NEXT = [12, 0, 22, 10]  # beside A with a 2 px gap: IoU 0; grown by 0.3 of their size: 64/448 ~ 0.14


def pairs(dets, det_groups, tracks, track_groups, min_iou, buffer=0.0):
    d, t = match_by_iou(
        np.array(dets, np.float32).reshape(-1, 4),
        np.array(det_groups, np.int64),
        np.array(tracks, np.float32).reshape(-1, 4),
        np.array(track_groups, np.int64),
        min_iou,
        buffer,
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


@pytest.mark.parametrize(
    ("dets", "det_groups", "tracks", "track_groups", "min_iou", "buffer", "expected"),
    [
        ([A_NEXT], [0], [A], [0], 0.1, 0.0, []),  # no overlap at all
        ([A_NEXT], [0], [A], [0], 0.1, 0.3, [(0, 0)]),  # the grown boxes overlap
        ([A_NEXT], [0], [A], [0], 0.2, 0.3, []),  # ... but still under a stricter gate
        ([A_NEXT], [0], [A], [1], 0.1, 0.3, []),  # other class group
        ([B], [0], [A], [0], 0.01, 0.3, []),  # far apart: no buffer joins them
        # The buffer grows both boxes alike, so the nearer box still wins the track.
        ([A_NEXT, A_SHIFT], [0, 0], [A], [0], 0.1, 0.3, [(1, 0)]),
    ],
)
def test_buffered_matching(dets, det_groups, tracks, track_groups, min_iou, buffer, expected):
    assert pairs(dets, det_groups, tracks, track_groups, min_iou, buffer) == expected


@pytest.mark.parametrize(
    ("xyxy", "buffer", "expected"),
    [
        ([[0, 0, 10, 20]], 0.0, [[0, 0, 10, 20]]),
        ([[0, 0, 10, 20]], 0.5, [[-5, -10, 15, 30]]),
        ([[10, 10, 12, 11], [0, 0, 100, 50]], 0.1, [[9.8, 9.9, 12.2, 11.1], [-10, -5, 110, 55]]),
    ],
)
def test_buffered_grows_each_side_by_a_share_of_the_size(xyxy, buffer, expected):
    np.testing.assert_allclose(buffered(np.array(xyxy, np.float32), buffer), expected, rtol=1e-6)


def test_prefers_total_overlap_over_number_of_pairs():
    # det0 overlaps track0 well and track1 barely; det1 overlaps only track0, barely.
    # Maximising pairs would give det0-track1 + det1-track0; the best overlap is det0-track0 alone
    # when the gains of the two weak pairs together are smaller.
    track0 = [0, 0, 10, 10]
    track1 = [8, 0, 18, 10]
    det0 = [0, 0, 10, 10]  # IoU 1.0 with track0, 2/18 ~ 0.11 with track1
    det1 = [-8, 0, 2, 10]  # IoU 2/18 ~ 0.11 with track0
    assert pairs([det0, det1], [0, 0], [track0, track1], [0, 0], 0.1) == [(0, 0)]
