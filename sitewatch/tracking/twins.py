"""One label per object: a head the model calls both ``head`` and ``helmet`` keeps the surer box.

The detector's NMS works per class, as the model was trained and is measured,
so a head it cannot decide about comes out twice: a ``head`` and a ``helmet``
box over the same pixels. On the far-field demo clip one box in ten has such a
twin. Left in, the tracker's class group (``head`` and ``helmet`` share tracks)
gets two boxes for one object: one keeps the track, the other starts a second
one, and when the label flips the worker's event moves to a new track and
starts again. Before tracking, boxes of one class group that overlap by more
than ``iou`` are taken for one object, and only the most confident stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from sitewatch.types import Detections


@dataclass(frozen=True, slots=True)
class TwinFilter:
    """``update`` drops the less confident of two boxes of one class group that overlap by more than ``iou``.

    Classes outside every group are never touched. ``iou`` of 1 keeps everything (no IoU is above 1);
    the pipeline then leaves the filter out.
    """

    class_groups: Sequence[Sequence[str]]
    iou: float
    _codes: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def update(self, detections: Detections) -> Detections:
        if len(detections) < 2:
            return detections
        group = self._group_codes(detections.class_names)[detections.class_id]
        grouped = np.flatnonzero(group >= 0)
        if len(grouped) < 2:
            return detections
        xyxy = detections.xyxy[grouped]
        xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1).astype(np.float64)
        # Greedy by confidence within each group, IoU strictly above `iou` suppresses;
        # a score threshold of -1 keeps boxes of any confidence.
        kept = np.asarray(
            cv2.dnn.NMSBoxesBatched(
                xywh, detections.confidence[grouped], group[grouped].astype(np.int32), -1.0, self.iou
            ),
            np.int64,
        ).reshape(-1)
        if len(kept) == len(grouped):
            return detections
        keep = np.ones(len(detections), bool)
        keep[grouped] = False
        keep[grouped[kept]] = True
        return detections[keep]

    def _group_codes(self, class_names: tuple[str, ...]) -> np.ndarray:
        """Class index -> group number, -1 for a class in no group (cached per class list)."""
        codes = self._codes.get(class_names)
        if codes is None:
            codes = np.full(len(class_names), -1, np.int64)
            for number, members in enumerate(self.class_groups):
                for i, name in enumerate(class_names):
                    if name in members:
                        codes[i] = number
            self._codes[class_names] = codes
        return codes
