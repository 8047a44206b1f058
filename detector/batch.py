"""The model-free halves of detection: frames -> model inputs, raw output -> Detections.

Both are pure functions of their arguments, so they are tested directly with
hand-made outputs; ``OnnxDetector`` only adds the session run between them.
Every input of a batch is one *slot*: a whole frame letterboxed into the model
input, or one full-resolution tile of a frame, padded where it is smaller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sitewatch.detector.decode import check_layout, decode
from sitewatch.detector.letterbox import Placement, letterbox
from sitewatch.detector.nms import MAX_CANDIDATES, MAX_DETECTIONS, nms, top_k
from sitewatch.detector.tiling import cut_mask, inner_edges, merge_tiled, tile_grid
from sitewatch.types import Detections


@dataclass(frozen=True, slots=True)
class InputSlot:
    """One model input: which frame it shows, where, and (for a tile) which part."""

    frame: int
    placement: Placement
    window: tuple[int, int, int, int] | None = None  # tile x0, y0, x1, y1 in frame px; None: whole frame


@dataclass(frozen=True)
class BatchPlan:
    """The slots of one batch and the frames they came from, with per-slot arrays for vectorised mapping."""

    frame_sizes: tuple[tuple[int, int], ...]  # (width, height) per frame
    slots: tuple[InputSlot, ...]
    slot_frame: np.ndarray = field(init=False, repr=False)  # int64 (S,)
    slot_scale: np.ndarray = field(init=False, repr=False)  # float32 (S, 4)
    slot_shift: np.ndarray = field(init=False, repr=False)  # float32 (S, 4)
    slot_edges: np.ndarray = field(init=False, repr=False)  # float32 (S, 4), see tiling.inner_edges
    frame_tiled: np.ndarray = field(init=False, repr=False)  # bool (F,)
    frame_limits: np.ndarray = field(init=False, repr=False)  # float32 (F, 2) width, height

    def __post_init__(self) -> None:
        slots = self.slots
        set_ = object.__setattr__
        set_(self, "slot_frame", np.array([s.frame for s in slots], np.int64))
        set_(self, "slot_scale", np.array([s.placement.scale_xyxy for s in slots], np.float32).reshape(-1, 4))
        set_(self, "slot_shift", np.array([s.placement.shift_xyxy for s in slots], np.float32).reshape(-1, 4))
        no_edges = np.array([-np.inf, -np.inf, np.inf, np.inf], np.float32)
        edges = [
            no_edges if s.window is None else inner_edges(np.array(s.window), *self.frame_sizes[s.frame])
            for s in slots
        ]
        set_(self, "slot_edges", np.array(edges, np.float32).reshape(-1, 4))
        tiled = np.zeros(len(self.frame_sizes), bool)
        tiled[[s.frame for s in slots if s.window is not None]] = True
        set_(self, "frame_tiled", tiled)
        set_(self, "frame_limits", np.array(self.frame_sizes, np.float32).reshape(-1, 2))


def prepare_inputs(
    images: Sequence[np.ndarray],
    input_hw: tuple[int, int],
    tiled: Sequence[bool],
    tile_overlap: float,
) -> tuple[list[np.ndarray], BatchPlan]:
    """Model-input pictures (BGR uint8, all ``input_hw``) for ``images``, and the plan to map results back.

    Each frame gets its whole-frame letterbox; a frame with ``tiled[i]`` also
    gets its full-resolution tiles (see ``tiling.tile_grid``). Tiles are views
    of the frame where they need no padding, so nothing is copied before the
    blob is built.
    """
    input_h, input_w = input_hw
    pictures: list[np.ndarray] = []
    slots: list[InputSlot] = []
    sizes: list[tuple[int, int]] = []
    for index, (image, tile_this) in enumerate(zip(images, tiled, strict=True)):
        check_image(image)
        height, width = image.shape[:2]
        sizes.append((width, height))
        picture, placement = letterbox(image, input_h, input_w)
        pictures.append(picture)
        slots.append(InputSlot(index, placement))
        if not tile_this:
            continue
        for x0, y0, x1, y1 in tile_grid(width, height, input_w, input_h, tile_overlap).tolist():
            picture, padding = letterbox(image[y0:y1, x0:x1], input_h, input_w, scaleup=False)
            # The tile's own placement is relative to its corner; move it to the frame's.
            placement = Placement(1.0, 1.0, padding.shift_x - x0, padding.shift_y - y0)
            pictures.append(picture)
            slots.append(InputSlot(index, placement, (x0, y0, x1, y1)))
    return pictures, BatchPlan(tuple(sizes), tuple(slots))


def to_blob(pictures: Sequence[np.ndarray], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """BGR uint8 pictures (all one size) -> one NCHW RGB blob in [0, 1], in one pass over the pixels.

    Each picture is read through a transposed, channel-reversed view and
    divided straight into its slot of the blob (float32 division by 255, as
    Ultralytics does). ``cv2.dnn.blobFromImages`` does the same work but
    slows down sharply past a few images on a busy CPU (16 ms for the seven
    416 px inputs of a tiled frame, against 3 ms here).
    """
    height, width = pictures[0].shape[:2]
    blob = np.empty((len(pictures), 3, height, width), dtype)
    for row, picture in zip(blob, pictures, strict=True):
        np.divide(picture.transpose(2, 0, 1)[::-1], np.float32(255), out=row, casting="unsafe")
    return blob


def check_image(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", None)
        raise ValueError(f"image must be a BGR uint8 (H, W, 3) array, got {dtype} {shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty ({image.shape[1]}x{image.shape[0]})")


def postprocess(
    raw: np.ndarray,
    plan: BatchPlan,
    *,
    confidence: float,
    iou: float,
    class_names: Sequence[str],
    max_detections: int = MAX_DETECTIONS,
) -> list[Detections]:
    """Raw model output for the slots of ``plan`` -> one ``Detections`` per frame, in frame pixels.

    Decode above ``confidence``, map every box to its frame (vectorised over
    the whole batch), drop boxes wholly outside it (in the padding), then per
    frame: NMS (untiled) or the tile merge, best score first, at most
    ``max_detections``, clipped to the frame.
    """
    names = tuple(class_names)
    check_layout(raw.shape, len(names))
    if raw.shape[0] != len(plan.slots):
        raise ValueError(f"raw output has {raw.shape[0]} rows for {len(plan.slots)} model inputs")
    found = decode(raw, confidence)
    slot = found.slot
    xyxy = (found.xyxy - plan.slot_shift[slot]) / plan.slot_scale[slot]
    cut = cut_mask(xyxy, plan.slot_edges[slot])
    frame_of = plan.slot_frame[slot]
    # A box wholly outside its frame (in the letterbox padding) shows nothing;
    # dropped before NMS so that it cannot suppress a real box either.
    limits = plan.frame_limits[frame_of]
    inside = (xyxy[:, 2] > 0) & (xyxy[:, 3] > 0) & (xyxy[:, 0] < limits[:, 0]) & (xyxy[:, 1] < limits[:, 1])
    if not inside.all():
        found, xyxy, cut, frame_of = found.take(inside), xyxy[inside], cut[inside], frame_of[inside]
    slot = found.slot

    order = np.argsort(frame_of, kind="stable")
    bounds = np.searchsorted(frame_of[order], np.arange(len(plan.frame_sizes) + 1))
    results = []
    for frame, (width, height) in enumerate(plan.frame_sizes):
        rows = order[bounds[frame] : bounds[frame + 1]]
        if len(rows) > MAX_CANDIDATES:
            rows = rows[top_k(found.score[rows], MAX_CANDIDATES)]
        boxes, scores, classes = xyxy[rows], found.score[rows], found.class_id[rows]
        if plan.frame_tiled[frame]:
            keep = merge_tiled(
                boxes, scores, classes, slot[rows], cut[rows], iou, max_detections=max_detections
            )
        else:
            keep = nms(boxes, scores, classes, iou, max_detections=max_detections)
        # Clip after NMS, as Ultralytics does, so that overlaps are judged on the boxes the model drew.
        clipped = np.clip(boxes[keep], 0, np.array([width, height, width, height], np.float32))
        results.append(Detections(clipped, scores[keep], classes[keep], names))
    return results
