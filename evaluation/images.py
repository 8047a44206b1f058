"""Image-level accuracy of a detector on one split of a YOLO data set.

The detector is the one the pipeline runs (``sitewatch.detector``): same
pre-processing, same NMS. For AP it should run with the settings in
``sitewatch.evaluation.defaults`` (confidence 0.001, NMS IoU 0.7, as
Ultralytics' ``val``), and, to be comparable with Ultralytics' figures, be
wrapped in ``multilabel.MultiLabelDetector`` (every class above the threshold
per box); bare, it scores the best class per box, as the live pipeline keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from sitewatch.ahead import run_ahead
from sitewatch.evaluation.coco import DetectionMetrics, evaluate_detections
from sitewatch.evaluation.defaults import DEFAULT_MAX_DET
from sitewatch.evaluation.yolo_dataset import DatasetError, GroundTruth, YoloSplit, load_ground_truth
from sitewatch.types import Detections

ProgressCallback = Callable[[int, int], None]


class ImageDetector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> Detections: ...


def to_dataset_classes(detections: Detections, dataset_classes: Sequence[str]) -> Detections:
    """Re-express ``detections`` in the data set's class list, matching classes by name.

    Boxes of model classes the data set does not label are dropped: they can be
    neither right nor wrong against its ground truth.
    """
    dataset_classes = tuple(dataset_classes)
    if detections.class_names == dataset_classes:
        return detections
    lookup = np.array(
        [dataset_classes.index(n) if n in dataset_classes else -1 for n in detections.class_names]
    )
    new_id = lookup[detections.class_id] if len(detections) else np.zeros(0, np.int64)
    keep = new_id >= 0
    return Detections(detections.xyxy[keep], detections.confidence[keep], new_id[keep], dataset_classes)


def check_shared_classes(model_classes: Sequence[str], dataset_classes: Sequence[str]) -> None:
    """Fail clearly when a model and a data set have no class name in common."""
    if not set(model_classes) & set(dataset_classes):
        raise DatasetError(
            f"the model's classes ({', '.join(model_classes)}) share no name with the data set's "
            f"({', '.join(dataset_classes)})"
        )


def read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DatasetError(f"cannot read image {path}")
    return image


def collect(
    detector: ImageDetector,
    split: YoloSplit,
    on_progress: ProgressCallback | None = None,
) -> tuple[list[GroundTruth], list[Detections]]:
    """Run ``detector`` on every image of ``split``; return ground truth and predictions, image by image.

    A detector with several streams is given that many photos at once.
    """
    ground_truth: list[GroundTruth] = []
    predictions: list[Detections] = []
    total = len(split.images)

    def read_and_detect(path: Path) -> tuple[GroundTruth, Detections]:
        image = read_image(path)
        height, width = image.shape[:2]
        return load_ground_truth(path, width, height, len(split.class_names)), detector.detect(image)

    streams = getattr(detector, "streams", 1)
    for done, (_, (truth, detections)) in enumerate(run_ahead(read_and_detect, split.images, streams), start=1):
        if done == 1:
            check_shared_classes(detections.class_names, split.class_names)
        ground_truth.append(truth)
        predictions.append(to_dataset_classes(detections, split.class_names))
        if on_progress is not None:
            on_progress(done, total)
    return ground_truth, predictions


def evaluate_images(
    detector: ImageDetector,
    split: YoloSplit,
    max_det: int = DEFAULT_MAX_DET,
    on_progress: ProgressCallback | None = None,
) -> DetectionMetrics:
    """COCO-style AP, precision and recall of ``detector`` on ``split``.

    The definitions are in ``sitewatch.evaluation.coco``.
    """
    ground_truth, predictions = collect(detector, split, on_progress)
    return evaluate_detections(ground_truth, predictions, split.class_names, max_det=max_det)
