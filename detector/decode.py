"""Raw YOLO output -> candidate boxes above the confidence threshold.

Ultralytics exports YOLOv8/YOLO11 detection heads as one tensor of shape
(batch, 4 + num_classes, num_anchors): per anchor the box centre, width and
height in model-input pixels, then one sigmoid score per class (no objectness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Candidates:
    """Boxes that passed the threshold, from every input of a batch at once.

    ``slot`` says which input (batch row) each box came from; ``xyxy`` is in
    that input's pixels.
    """

    slot: np.ndarray  # int64 (K,)
    xyxy: np.ndarray  # float32 (K, 4)
    score: np.ndarray  # float32 (K,)
    class_id: np.ndarray  # int32 (K,)

    def __len__(self) -> int:
        return len(self.slot)

    def take(self, index: np.ndarray) -> Candidates:
        return Candidates(self.slot[index], self.xyxy[index], self.score[index], self.class_id[index])


def check_layout(shape: tuple[int, ...], num_classes: int) -> None:
    """Raise ValueError unless ``shape`` is (batch, 4 + num_classes, anchors)."""
    if len(shape) != 3 or shape[1] != 4 + num_classes:
        raise ValueError(f"output shape {tuple(shape)} is not (batch, 4 + {num_classes} classes, anchors)")


def decode(raw: np.ndarray, confidence: float) -> Candidates:
    """Candidates whose best class score is above ``confidence`` (strictly, as Ultralytics).

    One class per anchor (the argmax). Boxes with no width or height, or with
    non-finite numbers, are dropped: they cannot be a detection.
    """
    raw = np.asarray(raw)
    if raw.ndim != 3 or raw.shape[1] < 5:
        raise ValueError(f"raw output must be (batch, 4 + classes, anchors), got {raw.shape}")
    class_scores = raw[:, 4:, :]
    best = class_scores.max(axis=1)  # (batch, anchors)
    slot, anchor = np.nonzero(best > confidence)
    # Gather only the survivors before any per-box arithmetic: at the usual
    # 0.25 threshold that is a few dozen of several thousand anchors.
    boxes = raw[slot, :4, anchor].astype(np.float32, copy=False)  # (K, 4) cx, cy, w, h
    score = best[slot, anchor].astype(np.float32, copy=False)
    class_id = class_scores[slot, :, anchor].argmax(axis=1).astype(np.int32)
    half = boxes[:, 2:] / 2
    xyxy = np.concatenate([boxes[:, :2] - half, boxes[:, :2] + half], axis=1)
    usable = (boxes[:, 2] > 0) & (boxes[:, 3] > 0) & np.isfinite(xyxy).all(axis=1) & np.isfinite(score)
    if not usable.all():
        slot, xyxy, score, class_id = slot[usable], xyxy[usable], score[usable], class_id[usable]
    return Candidates(slot.astype(np.int64), xyxy, score, class_id)
