"""Tiled detection for far-field cameras: the tile grid and the merge of tile results.

A far-field camera shows heads 8-15 px tall in a 768x576 frame; letterboxed
into a 416 px model input they shrink to 4-8 px, below what the model finds
reliably. Tiles of model-input size cut from the full-resolution frame keep
every pixel, and one extra whole-frame pass still finds the large objects that
no single tile holds in full. The merge then has to undo what tiling adds:
the same object found twice (in two overlapping tiles, or in a tile and the
whole frame) and fragments of objects cut by a tile's edge.
"""

from __future__ import annotations

import math

import numpy as np

from sitewatch.detector.nms import nms

# A box edge within this many pixels of a tile edge inside the frame is taken
# to be cut there: the model draws a cut object's box up to the picture border.
CUT_MARGIN_PX = 2.0
# A box whose intersection with another box covers more than this share of the
# smaller one's area is the same object seen twice (or a fragment of it).
CONTAINMENT = 0.8


def tile_starts(length: int, tile: int, overlap: float) -> np.ndarray:
    """Start offsets of the fewest tiles of ``tile`` px covering ``length`` px.

    Neighbours share at least ``overlap * tile`` px (rounded up to whole
    pixels); the spare overlap is spread evenly. One tile, at 0, when the
    length fits in a tile.
    """
    if length <= tile:
        return np.zeros(1, np.int64)
    max_step = tile - math.ceil(overlap * tile)
    if max_step <= 0:
        raise ValueError(f"tile overlap {overlap} leaves no step between {tile} px tiles")
    count = math.ceil((length - tile) / max_step) + 1
    # Floors of an even split: consecutive steps differ by at most one pixel
    # and never exceed the (integer) max_step, so no overlap falls short.
    return np.floor(np.arange(count) * ((length - tile) / (count - 1))).astype(np.int64)


def tile_grid(width: int, height: int, tile_w: int, tile_h: int, overlap: float) -> np.ndarray:
    """Tiles covering a ``width`` x ``height`` frame, as int64 (T, 4) x0, y0, x1, y1, row by row.

    Tiles are ``tile_w`` x ``tile_h`` except along an axis where the frame is
    smaller than a tile (there the tile is the frame's extent).
    """
    xs = tile_starts(width, tile_w, overlap)
    ys = tile_starts(height, tile_h, overlap)
    x0, y0 = np.meshgrid(xs, ys)
    x0, y0 = x0.reshape(-1), y0.reshape(-1)
    return np.stack([x0, y0, x0 + min(tile_w, width), y0 + min(tile_h, height)], axis=1)


def inner_edges(window: np.ndarray, width: int, height: int) -> np.ndarray:
    """A tile's edges that lie inside the frame (x0, y0, x1, y1); -inf/+inf where the edge is the frame's.

    Only those edges can cut an object; the whole-frame pass has none.
    """
    x0, y0, x1, y1 = (float(v) for v in window)
    return np.array(
        [
            x0 if x0 > 0 else -np.inf,
            y0 if y0 > 0 else -np.inf,
            x1 if x1 < width else np.inf,
            y1 if y1 < height else np.inf,
        ],
        np.float32,
    )


def cut_mask(xyxy: np.ndarray, edges: np.ndarray, margin: float = CUT_MARGIN_PX) -> np.ndarray:
    """Which boxes touch an inner tile edge (``edges`` per box, as from ``inner_edges``)."""
    return (
        (xyxy[:, 0] <= edges[:, 0] + margin)
        | (xyxy[:, 1] <= edges[:, 1] + margin)
        | (xyxy[:, 2] >= edges[:, 2] - margin)
        | (xyxy[:, 3] >= edges[:, 3] - margin)
    )


def mostly_overlapping(a: np.ndarray, b: np.ndarray, share: float) -> np.ndarray:
    """(N, 4) x (M, 4) -> bool (N, M): the intersection covers more than ``share`` of the smaller box.

    Works on one coordinate axis at a time and compares without dividing:
    this runs on every pair of NMS survivors, thousands at a low threshold.
    """
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(width, 0, out=width)
    np.maximum(height, 0, out=height)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    smaller = np.minimum(area_a[:, None], area_b[None, :])
    return (width * height > share * smaller) & (smaller > 0)


def _contained(
    xyxy: np.ndarray, class_ids: np.ndarray, slots: np.ndarray, columns: np.ndarray, containment: float
) -> np.ndarray:
    """For boxes ``columns`` (positions in rank order), whether a better-ranked box contains them.

    "Contains": same class, another pass, intersection above ``containment``
    of the smaller box's area. Compares the columns with every row at once.
    """
    ranked_above = np.arange(len(xyxy))[:, None] < columns[None, :]
    same = (class_ids[:, None] == class_ids[columns][None, :]) & (slots[:, None] != slots[columns][None, :])
    return (ranked_above & same & mostly_overlapping(xyxy, xyxy[columns], containment)).any(axis=0)


def merge_tiled(
    xyxy: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    slots: np.ndarray,
    cut: np.ndarray,
    iou: float,
    containment: float = CONTAINMENT,
    max_detections: int | None = None,
) -> np.ndarray:
    """Indices of the boxes kept from the tiles and the whole-frame pass of one frame, best score first.

    ``xyxy`` are frame pixels; ``slots`` says which pass (tile or whole frame)
    found each box; ``cut`` marks boxes touching an inner tile edge.

    1. Rank: every uncut box above every cut one, then by score. A fragment
       can outscore the whole object, so score alone would keep the fragment.
    2. Class-aware NMS in that rank order (IoU above ``iou`` suppresses).
    3. Containment: of two same-class boxes from different passes whose
       intersection covers more than ``containment`` of the smaller one, the
       lower-ranked goes. That removes a fragment inside the whole object and
       the same object framed differently at two scales (IoU too low for NMS).
       Boxes of one pass are left to NMS alone, so one worker partly hidden
       behind another, found in the same pass, is kept. This step judges
       every NMS survivor against all better-ranked survivors at once (not
       greedily), which can only remove more in chains of three nested boxes.

    With ``max_detections``, containment is judged for the best-scoring
    survivors only, block by block until enough remain: at a very low
    threshold NMS keeps thousands of boxes, and a full pairwise table of them
    would cost far more than the few hundred that are returned.
    """
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    scores = np.asarray(scores, np.float32)
    class_ids = np.asarray(class_ids)
    slots = np.asarray(slots)
    cut = np.asarray(cut, bool)
    # Scores lie in [0, 1], so +2 lifts every uncut box above every cut one.
    rank_key = scores + np.where(cut, np.float32(0), np.float32(2))
    kept = nms(xyxy, rank_key, class_ids, iou, max_detections=None)  # best rank first
    wanted = len(kept) if max_detections is None else max_detections
    by_score = np.argsort(-scores[kept], kind="stable")  # positions in `kept`
    boxes, classes, passes = xyxy[kept], class_ids[kept], slots[kept]
    block = max(wanted, 1)
    survivors: list[np.ndarray] = []
    found = 0
    for start in range(0, len(by_score), block):
        if found >= wanted:
            break
        columns = by_score[start : start + block]
        alive = columns[~_contained(boxes, classes, passes, columns, containment)]
        survivors.append(alive)
        found += len(alive)
    if not survivors:
        return np.zeros(0, np.int64)
    return kept[np.concatenate(survivors)[:wanted]]


# "auto" tiles a frame whose longer side is more than this many model inputs:
# up to that, letterboxing shrinks objects by at most a third.
AUTO_TILE_FACTOR = 1.5


def uses_tiles(mode: str, width: int, height: int, tile_w: int, tile_h: int) -> bool:
    """Whether a ``width`` x ``height`` frame is scored in tiles (plus one whole-frame pass).

    - ``"off"``: never.
    - ``"on"``: whenever the frame is larger than one tile along either axis
      (a frame that fits in one tile is just the whole-frame pass).
    - ``"auto"``: when the frame's longer side exceeds ``AUTO_TILE_FACTOR`` (1.5)
      times the model input's longer side, e.g. a 768x576 frame with a 416 px
      model (768 > 624), but not a 600x450 one.
    """
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"tiles must be 'auto', 'on' or 'off', got {mode!r}")
    if mode == "off" or (width <= tile_w and height <= tile_h):
        return False
    if mode == "on":
        return True
    return max(width, height) > AUTO_TILE_FACTOR * max(tile_w, tile_h)
