"""Multi-label scoring of the pipeline's detector, as Ultralytics ``val`` scores a model.

The live detector gives each anchor one class, its best. For AP, Ultralytics'
``val`` instead keeps every class whose score passes the threshold, so one box
can be both a (likely) helmet and a (less likely) head. That recovers true
positives that the argmax hides when two classes are close (a bare head vs a
helmet, early in training especially) and is how the published mAP figures of
YOLO models are measured: on an undertrained model here it moved head mAP50 by
0.14. ``MultiLabelDetector`` gives our figures the same footing without a
second decoder: it widens the raw model output so that each (anchor, class)
pair is its own anchor scoring that class alone, and hands it to the detector's
own post-processing (letterbox mapping, class-aware NMS, max detections,
clipping), which then keeps exactly the pairs above the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sitewatch.types import Detections


class _PreparedBatch(Protocol):
    blob: np.ndarray
    plan: object


class _Detector(Protocol):
    class_names: tuple[str, ...]
    engine: str

    def prepare(self, images: Sequence[np.ndarray]) -> _PreparedBatch: ...

    def run(self, blob: np.ndarray) -> np.ndarray: ...

    def postprocess(self, raw: np.ndarray, plan: object) -> list[Detections]: ...


def one_anchor_per_class(raw: np.ndarray) -> np.ndarray:
    """(batch, 4 + C, A) -> (batch, 4 + C, C * A): anchor a of class k becomes anchor k * A + a.

    Each widened anchor keeps the box and the score of its own class; its
    other class scores are 0, which no (strict) confidence threshold passes.
    """
    batch, rows, anchors = raw.shape
    classes = rows - 4
    wide = np.zeros((batch, rows, classes, anchors), raw.dtype)
    wide[:, :4] = raw[:, :4, None, :]
    diagonal = np.arange(classes)
    wide[:, 4 + diagonal, diagonal, :] = raw[:, 4:, :]
    return wide.reshape(batch, rows, classes * anchors)


class MultiLabelDetector:
    """Wraps an ``OnnxDetector``: same input, same NMS, every class above the threshold per anchor."""

    def __init__(self, detector: _Detector) -> None:
        self.detector = detector
        self.class_names = detector.class_names
        self.engine = detector.engine
        self.streams = getattr(detector, "streams", 1)

    def detect(self, image_bgr: np.ndarray) -> Detections:
        prepared = self.detector.prepare([image_bgr])
        raw = self.detector.run(prepared.blob)
        return self.detector.postprocess(one_anchor_per_class(raw), prepared.plan)[0]
