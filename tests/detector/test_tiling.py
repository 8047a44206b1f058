"""Tile grids (coverage, overlap, fewest tiles), when to tile, and the merge of tile results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sitewatch.detector.tiling import (
    cut_mask,
    inner_edges,
    merge_tiled,
    mostly_overlapping,
    tile_grid,
    tile_starts,
    uses_tiles,
)

GRIDS = [
    # width, height, tile_w, tile_h, overlap
    (768, 576, 416, 416, 0.2),
    (1920, 1080, 416, 416, 0.2),
    (3840, 2160, 640, 640, 0.2),
    (500, 300, 416, 416, 0.2),
    (416, 416, 416, 416, 0.2),
    (417, 416, 416, 416, 0.2),
    (1280, 720, 128, 96, 0.45),
    (1000, 1000, 416, 416, 0.0),
]


@pytest.mark.parametrize(("width", "height", "tile_w", "tile_h", "overlap"), GRIDS)
def test_grid_covers_the_frame_with_the_required_overlap(width, height, tile_w, tile_h, overlap):
    tiles = tile_grid(width, height, tile_w, tile_h, overlap)
    assert (tiles[:, :2] >= 0).all() and (tiles[:, 2] <= width).all() and (tiles[:, 3] <= height).all()
    np.testing.assert_array_equal(tiles[:, 2] - tiles[:, 0], min(tile_w, width))
    np.testing.assert_array_equal(tiles[:, 3] - tiles[:, 1], min(tile_h, height))

    covered = np.zeros((height, width), bool)
    for x0, y0, x1, y1 in tiles:
        covered[y0:y1, x0:x1] = True
    assert covered.all()

    for starts, tile in ((np.unique(tiles[:, 0]), tile_w), (np.unique(tiles[:, 1]), tile_h)):
        shared = tile - np.diff(starts)
        assert (shared >= overlap * tile).all(), shared


@pytest.mark.parametrize(("width", "height", "tile_w", "tile_h", "overlap"), GRIDS)
def test_grid_uses_the_fewest_tiles(width, height, tile_w, tile_h, overlap):
    tiles = tile_grid(width, height, tile_w, tile_h, overlap)
    for length, tile, count in (
        (width, tile_w, len(np.unique(tiles[:, 0]))),
        (height, tile_h, len(np.unique(tiles[:, 1]))),
    ):
        if count == 1:
            continue
        # One tile fewer, at the largest step the overlap allows, falls short of the far edge.
        assert tile + (count - 2) * (tile - overlap * tile) < length


@pytest.mark.parametrize(
    ("length", "tile", "overlap", "expected"),
    [(768, 416, 0.2, [0, 176, 352]), (576, 416, 0.2, [0, 160]), (416, 416, 0.2, [0]), (100, 416, 0.2, [0])],
)
def test_tile_starts_known(length, tile, overlap, expected):
    np.testing.assert_array_equal(tile_starts(length, tile, overlap), expected)


@pytest.mark.parametrize(
    ("mode", "width", "height", "expected"),
    [
        ("off", 3840, 2160, False),
        ("auto", 768, 576, True),  # 768 > 1.5 * 416
        ("auto", 624, 400, False),  # exactly 1.5 x: not tiled
        ("auto", 640, 480, True),
        ("auto", 600, 450, False),
        ("auto", 300, 700, True),  # portrait: the longer side counts
        ("on", 640, 480, True),
        ("on", 417, 100, True),
        ("on", 416, 416, False),  # fits in one tile: the whole-frame pass alone
        ("on", 200, 100, False),
    ],
)
def test_uses_tiles(mode, width, height, expected):
    assert uses_tiles(mode, width, height, 416, 416) is expected


def test_uses_tiles_rejects_unknown_mode():
    with pytest.raises(ValueError, match="tiles must be"):
        uses_tiles("sometimes", 100, 100, 416, 416)


def test_cut_mask_only_at_edges_inside_the_frame():
    # A 416 px tile at x 176..592, y 160..576 of a 768x576 frame: left, top and right
    # edges lie inside the frame, the bottom one is the frame's.
    edges = inner_edges(np.array([176, 160, 592, 576]), 768, 576)
    np.testing.assert_array_equal(edges, [176, 160, 592, np.inf])
    boxes = np.array(
        [
            [176, 300, 200, 330],  # on the left inner edge: cut
            [300, 161, 320, 190],  # within the margin of the top inner edge: cut
            [560, 300, 592, 330],  # on the right inner edge: cut
            [300, 540, 320, 576],  # on the frame's bottom: whole
            [300, 300, 320, 330],  # inside: whole
        ],
        np.float32,
    )
    np.testing.assert_array_equal(
        cut_mask(boxes, np.broadcast_to(edges, (5, 4))), [True, True, True, False, False]
    )


def merge(rows, iou=0.5):
    """rows: (x0, y0, x1, y1, score, class, slot, cut) -> kept row indices."""
    a = np.array(rows, np.float64).reshape(-1, 8)
    return list(
        merge_tiled(a[:, :4], a[:, 4], a[:, 5].astype(int), a[:, 6].astype(int), a[:, 7].astype(bool), iou)
    )


HEAD_FULL = (100, 100, 112, 114)  # a 12 x 14 px head


@pytest.mark.parametrize(
    ("rows", "kept"),
    [
        pytest.param(
            [
                (*HEAD_FULL, 0.80, 0, 1, 0),
                (101, 100, 113, 114, 0.85, 0, 2, 0),
                (99, 101, 112, 115, 0.6, 0, 0, 0),
            ],
            [1],
            id="one head in two overlapping tiles and the whole frame: one box",
        ),
        pytest.param(
            [(*HEAD_FULL, 0.70, 0, 2, 0), (100, 100, 106, 114, 0.90, 0, 1, 1)],
            [0],
            id="fragment cut by a tile edge goes although it scores higher",
        ),
        pytest.param(
            [
                (0, 0, 200, 400, 0.6, 2, 0, 0),
                (0, 0, 200, 150, 0.9, 2, 1, 1),
                (0, 140, 200, 400, 0.7, 2, 3, 1),
            ],
            [0],
            id="large person split across tiles: the whole-frame box stays, both halves go",
        ),
        pytest.param(
            [(96, 96, 116, 118, 0.5, 0, 0, 0), (*HEAD_FULL, 0.8, 0, 1, 0)],
            [1],
            id="loose whole-frame box around a tight tile box (IoU < 0.5): the weaker goes",
        ),
        pytest.param(
            [(0, 0, 200, 400, 0.9, 2, 1, 0), (100, 50, 190, 390, 0.8, 2, 1, 0)],
            [0, 1],
            id="one worker behind another in the same pass: both stay",
        ),
        pytest.param(
            [(*HEAD_FULL, 0.9, 0, 1, 0), (*HEAD_FULL, 0.8, 1, 2, 0)],
            [0, 1],
            id="different classes on one spot: both stay",
        ),
        pytest.param(
            [(100, 100, 106, 114, 0.9, 0, 1, 1)],
            [0],
            id="a cut box with nothing better stays",
        ),
        pytest.param(
            [(*HEAD_FULL, 0.6, 0, 1, 0), (400, 400, 412, 414, 0.9, 0, 2, 0)],
            [1, 0],
            id="separate heads both stay, best first",
        ),
        pytest.param([], [], id="empty"),
    ],
)
def test_merge_tiled(rows, kept):
    assert merge(rows) == kept


def test_containment_threshold_is_strict_share_of_the_smaller_box():
    # The tile box lies 80 % inside the whole-frame box: not above the 0.8 share, both stay.
    rows = [(0, 0, 10, 10, 0.9, 0, 0, 0), (2, 0, 12, 10, 0.8, 0, 1, 0)]
    assert merge(rows, iou=0.9) == [0, 1]
    rows[1] = (1.9, 0, 11.9, 10, 0.8, 0, 1, 0)  # 81 % inside
    assert merge(rows, iou=0.9) == [0]


def test_grid_for_default_model_on_pal_frame():
    tiles = tile_grid(768, 576, 416, 416, 0.2)
    assert len(tiles) == 6 and math.isclose(0.2 * 416, 83.2)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), True),  # identical
        ((0, 0, 100, 100), (10, 10, 20, 20), True),  # small box wholly inside a large one
        ((0, 0, 10, 10), (2, 0, 12, 10), False),  # 80 % of the smaller: not above 0.8
        ((0, 0, 10, 10), (1.9, 0, 11.9, 10), True),  # 81 %
        ((0, 0, 10, 10), (20, 20, 30, 30), False),  # disjoint
        ((0, 0, 10, 10), (5, 5, 5, 5), False),  # no area
    ],
)
def test_mostly_overlapping(a, b, expected):
    a, b = np.array([a], np.float32), np.array([b], np.float32)
    assert mostly_overlapping(a, b, 0.8)[0, 0] == expected
    assert mostly_overlapping(b, a, 0.8)[0, 0] == expected


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_detections", [1, 7, 50])
def test_merge_with_a_cap_is_the_uncapped_merge_cut_short(seed, max_detections):
    """The capped merge judges containment block by block; it must pick exactly the uncapped merge's best."""
    rng = np.random.default_rng(seed)
    n = 300
    xy = rng.uniform(0, 200, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(4, 60, (n, 2))], axis=1)
    args = (boxes, rng.random(n), rng.integers(0, 2, n), rng.integers(0, 5, n), rng.random(n) < 0.3, 0.5)
    everything = merge_tiled(*args)
    np.testing.assert_array_equal(
        merge_tiled(*args, max_detections=max_detections), everything[:max_detections]
    )
