"""Model-free halves of detection: planning model inputs, the blob, and raw output -> Detections."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.detector.batch import BatchPlan, InputSlot, postprocess, prepare_inputs, to_blob
from sitewatch.detector.decode import decode
from sitewatch.detector.letterbox import Placement
from sitewatch.detector.nms import nms
from sitewatch.types import Detections

NAMES = ("head", "helmet", "person")


def raw_rows(*slots: list[tuple[float, ...]], anchors: int = 8) -> np.ndarray:
    """(slots, 7, anchors): given rows (cx, cy, w, h, head, helmet, person), the rest zeros."""
    raw = np.zeros((len(slots), 7, anchors), np.float32)
    for index, rows in enumerate(slots):
        if rows:
            raw[index, :, : len(rows)] = np.asarray(rows, np.float32).T
    return raw


def box_inside(xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boxes that reach into the frame at all (the rest lie wholly in the letterbox padding)."""
    return (xyxy[:, 2] > 0) & (xyxy[:, 3] > 0) & (xyxy[:, 0] < width) & (xyxy[:, 1] < height)


def noisy_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


# -- planning ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "tiled", "slots"),
    [
        ((200, 100), False, 1),
        ((300, 100), True, 1 + 3),
        ((768, 576), True, 1 + 8 * 6),
        ((768, 576), False, 1),
    ],
)
def test_prepare_inputs_slots_and_sizes(size, tiled, slots):
    width, height = size
    pictures, plan = prepare_inputs([noisy_image(height, width)], (128, 128), [tiled], 0.2)
    assert len(pictures) == len(plan.slots) == slots
    assert all(p.shape == (128, 128, 3) for p in pictures)
    assert plan.frame_sizes == ((width, height),)
    assert [s.window is None for s in plan.slots] == [True] + [False] * (len(plan.slots) - 1)
    assert bool(plan.frame_tiled[0]) is tiled


@pytest.mark.parametrize("size", [(300, 100), (768, 576), (130, 300)])
def test_tile_placement_maps_tile_pixels_to_frame_pixels(size):
    width, height = size
    image = noisy_image(height, width, seed=width)
    pictures, plan = prepare_inputs([image], (128, 128), [True], 0.2)
    for picture, slot in zip(pictures[1:], plan.slots[1:], strict=True):
        x0, y0, x1, y1 = slot.window
        # The tile's corner pixel in the model input, mapped through the placement, is the frame's pixel.
        corner = slot.placement.to_input(np.array([[x0, y0, x1, y1]], np.float32))[0].astype(int)
        np.testing.assert_array_equal(
            picture[corner[1] : corner[3], corner[0] : corner[2]], image[y0:y1, x0:x1]
        )


def test_to_blob_is_rgb_nchw_in_unit_range_and_accepts_views():
    frame = noisy_image(64, 96)
    view = frame[10:42, 20:52]  # not contiguous
    blob = to_blob([view, np.ascontiguousarray(view)])
    assert blob.shape == (2, 3, 32, 32) and blob.dtype == np.float32
    np.testing.assert_array_equal(blob[0], blob[1])
    # Exactly Ultralytics' preprocessing: RGB, CHW, float32 divided by 255.
    np.testing.assert_array_equal(
        blob[0], view[:, :, ::-1].transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    )
    assert to_blob([view], np.float16).dtype == np.float16


def test_prepare_rejects_bad_images():
    for bad in (
        np.zeros((10, 10), np.uint8),
        np.zeros((10, 10, 3), np.float32),
        np.zeros((0, 10, 3), np.uint8),
    ):
        with pytest.raises(ValueError, match="image"):
            prepare_inputs([bad], (128, 128), [False], 0.2)


# -- raw output -> Detections ---------------------------------------------------------
def letterboxed_plan(width: int, height: int, input_size: int = 128) -> BatchPlan:
    _, plan = prepare_inputs([np.zeros((height, width, 3), np.uint8)], (input_size, input_size), [False], 0.2)
    return plan


def test_untiled_frame_equals_decode_map_and_nms():
    plan = letterboxed_plan(200, 100)  # scale 0.64, 32 px padding above and below
    assert plan.slots[0].placement == Placement(0.64, 0.64, 0.0, 32.0)
    raw = raw_rows(
        [
            (64, 64, 32, 16, 0.9, 0.0, 0.0),  # head at the centre
            (66, 64, 32, 16, 0.8, 0.0, 0.0),  # its duplicate
            (66, 64, 32, 16, 0.0, 0.7, 0.0),  # a helmet on the same spot: other class
            (10, 40, 12, 12, 0.1, 0.0, 0.0),  # below the threshold
            (120, 92, 20, 20, 0.0, 0.0, 0.6),  # crosses the right edge: clipped
            (64, 10, 10, 10, 0.0, 0.0, 0.95),  # wholly in the top padding: dropped
        ]
    )
    (result,) = postprocess(raw, plan, confidence=0.25, iou=0.5, class_names=NAMES)

    found = decode(raw, 0.25)
    frame_boxes = plan.slots[0].placement.to_frame(found.xyxy)
    inside = box_inside(frame_boxes, 200, 100)
    frame_boxes, scores, classes = frame_boxes[inside], found.score[inside], found.class_id[inside]
    keep = nms(frame_boxes, scores, classes, 0.5)
    clipped = np.clip(frame_boxes[keep], 0, [200, 100, 200, 100])
    expected = Detections(clipped, scores[keep], classes[keep], NAMES)
    assert result == expected
    np.testing.assert_allclose(result.xyxy[0], [75, 37.5, 125, 62.5])
    np.testing.assert_allclose(result.confidence, [0.9, 0.7, 0.6])
    np.testing.assert_allclose(result.xyxy[2], [171.875, 78.125, 200, 100])


def test_several_frames_in_one_batch():
    plans = [letterboxed_plan(200, 100), letterboxed_plan(64, 128)]
    plan = BatchPlan(
        ((200, 100), (64, 128)),
        (plans[0].slots[0], InputSlot(1, plans[1].slots[0].placement)),
    )
    raw = raw_rows([(64, 64, 32, 16, 0.9, 0.0, 0.0)], [(64, 64, 20, 20, 0.0, 0.8, 0.0)])
    first, second = postprocess(raw, plan, confidence=0.25, iou=0.5, class_names=NAMES)
    assert first.names == ["head"] and second.names == ["helmet"]
    np.testing.assert_allclose(
        second.xyxy, [[22, 54, 42, 74]]
    )  # 64x128 into 128: scale 1, 32 px left padding


def test_tiled_frame_merges_duplicates_and_cut_fragments():
    """A 300x100 frame, 128 px model: the whole frame (scale 128/300) and three full-resolution tiles."""
    _, plan = prepare_inputs([np.zeros((100, 300, 3), np.uint8)], (128, 128), [True], 0.2)
    assert [s.window for s in plan.slots[1:]] == [(0, 0, 128, 100), (86, 0, 214, 100), (172, 0, 300, 100)]
    whole, tile0, tile1, tile2 = (s.placement for s in plan.slots)

    def at(placement, box, head=0.0, person=0.0):
        """A raw row for a frame-pixel box as the model input at ``placement`` would report it."""
        x0, y0, x1, y1 = placement.to_input(np.array([box], np.float32))[0]
        return ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, head, 0.0, person)

    person = (20, 10, 60, 95)
    raw = raw_rows(
        [at(whole, (99, 39, 113, 55), head=0.5), at(whole, person, person=0.6)],
        # One head in the overlap of tiles 0 and 1 (x 86..128), seen by both and by the whole frame.
        [at(tile0, (100, 40, 112, 54), head=0.8), at(tile0, person, person=0.7)],
        [at(tile1, (100.5, 40, 112, 54), head=0.85), at(tile1, (172, 30, 190, 44), head=0.65)],
        # Tile 2 starts at x 172 and cuts the second head: its fragment outscores the whole head.
        [at(tile2, (172, 30, 180, 44), head=0.9)],
    )
    (result,) = postprocess(raw, plan, confidence=0.25, iou=0.5, class_names=NAMES)
    assert result.names == ["head", "person", "head"]
    np.testing.assert_allclose(result.confidence, [0.85, 0.7, 0.65])
    np.testing.assert_allclose(result.xyxy, [[100.5, 40, 112, 54], person, [172, 30, 190, 44]], atol=1e-4)


@pytest.mark.parametrize("max_detections", [0, 1, 3])
def test_max_detections(max_detections):
    rows = [(10 + 20 * i, 64, 8, 8, 0.3 + 0.1 * i, 0, 0) for i in range(5)]
    (result,) = postprocess(
        raw_rows(rows),
        letterboxed_plan(128, 128),
        confidence=0.25,
        iou=0.5,
        class_names=NAMES,
        max_detections=max_detections,
    )
    assert len(result) == max_detections
    np.testing.assert_allclose(result.confidence, [0.7, 0.6, 0.5][:max_detections])


def test_raw_output_must_match_the_plan():
    plan = letterboxed_plan(200, 100)
    with pytest.raises(ValueError, match="2 rows for 1 model inputs"):
        postprocess(np.zeros((2, 7, 8), np.float32), plan, confidence=0.25, iou=0.5, class_names=NAMES)
    with pytest.raises(ValueError, match="4 \\+ 2 classes"):
        postprocess(np.zeros((1, 7, 8), np.float32), plan, confidence=0.25, iou=0.5, class_names=NAMES[:2])
