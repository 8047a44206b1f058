"""Predictions re-expressed in the data set's classes, and the class-overlap check."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.evaluation.images import check_shared_classes, to_dataset_classes
from sitewatch.evaluation.yolo_dataset import DatasetError
from sitewatch.types import Detections

BOXES = np.array([[0, 0, 10, 10], [5, 5, 20, 20], [1, 1, 2, 2]], np.float32)


@pytest.mark.parametrize(
    ("model_classes", "dataset_classes", "expected_ids"),
    [
        (("head", "helmet", "person"), ("head", "helmet", "person"), [0, 1, 2]),
        (("helmet", "head", "person"), ("head", "helmet", "person"), [1, 0, 2]),
        # a model class the data set does not label is dropped
        (("head", "helmet", "cone"), ("head", "helmet"), [0, 1]),
        (("cone", "vest", "person"), ("head", "helmet", "person"), [2]),
    ],
)
def test_predictions_follow_the_data_set_classes_by_name(model_classes, dataset_classes, expected_ids):
    detections = Detections(BOXES, [0.9, 0.8, 0.7], [0, 1, 2], model_classes)
    mapped = to_dataset_classes(detections, dataset_classes)
    assert mapped.class_names == dataset_classes
    assert mapped.class_id.tolist() == expected_ids
    kept_names = [n for n in detections.names if n in dataset_classes]
    assert mapped.names == kept_names


def test_empty_predictions_map_to_empty():
    mapped = to_dataset_classes(Detections.empty(("a", "head")), ("head",))
    assert len(mapped) == 0 and mapped.class_names == ("head",)


def test_no_shared_class_is_a_clear_error():
    check_shared_classes(("head", "cone"), ("head",))
    with pytest.raises(DatasetError, match="share no name"):
        check_shared_classes(("cat", "dog"), ("head", "helmet"))
