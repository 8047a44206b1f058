"""Class-aware non-maximum suppression (OpenCV's C++ implementation)."""

from __future__ import annotations

import cv2
import numpy as np

# Ultralytics' defaults: at most 300 boxes per image, and at most 30000
# candidates (the best-scoring) go into NMS, which bounds its quadratic cost.
MAX_DETECTIONS = 300
MAX_CANDIDATES = 30000


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores (all indices when there are fewer), in no set order."""
    if len(scores) <= k:
        return np.arange(len(scores))
    return np.argpartition(-scores, k - 1)[:k]


def nms(
    xyxy: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    iou: float,
    max_detections: int | None = MAX_DETECTIONS,
) -> np.ndarray:
    """Indices of the boxes kept, best score first.

    Greedy per class: a box is dropped when its IoU with a better-scoring box
    of the same class is above ``iou`` (strictly: IoU equal to ``iou`` keeps
    both, as torchvision and OpenCV do). Boxes scoring 0 or less are dropped:
    OpenCV's score threshold is strict and cannot go below 0 (decoding, also
    strict, never hands such boxes over).
    """
    xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    scores = np.asarray(scores, np.float32).reshape(-1)
    class_ids = np.asarray(class_ids, np.int32).reshape(-1)
    # OpenCV wants (x, y, w, h); float input selects its Rect2d (sub-pixel) overload.
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    kept = np.asarray(cv2.dnn.NMSBoxesBatched(xywh, scores, class_ids, 0.0, float(iou)), np.int64).reshape(-1)
    # OpenCV returns best-first already; sort anyway (stably) so the order is a
    # documented property rather than an implementation detail.
    kept = kept[np.argsort(-scores[kept], kind="stable")]
    if max_detections is not None:
        kept = kept[:max_detections]
    return kept
