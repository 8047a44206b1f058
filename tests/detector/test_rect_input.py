"""Rectangular inputs (no wasted padding) find what the square input finds, on a real frame."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from sitewatch.detector import OnnxDetector
from sitewatch.models import default_model_path
from sitewatch.types import box_iou

from testdata import DEMO_VIDEO


def frames(count: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(DEMO_VIDEO))
    out = []
    for index in range(0, 400, 400 // count):
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = cap.read()
        if ok:
            out.append(image)
    cap.release()
    return out


def test_rect_and_square_inputs_agree_on_the_shipped_model():
    if not DEMO_VIDEO.exists() or not default_model_path().exists():
        pytest.skip("needs the demo clip (scripts/fetch-demo-video.sh) and the shipped model")
    # A low threshold gives enough boxes for the comparison, whatever the checkpoint.
    det = OnnxDetector(default_model_path(), tiles="off", confidence=0.05)
    matched = total = 0
    for image in frames(8):
        rect = det.detect(image)  # one 768x576 frame: e.g. a 416x320 input for a 416 px model
        mixed = det.prepare([image, np.ascontiguousarray(image.transpose(1, 0, 2))])
        size = det.input_size
        short_side = math.ceil(round(576 * size / 768) / 32) * 32
        assert det.prepare([image]).blob.shape[2:] == (short_side, size) and mixed.blob.shape[2:] == (size, size)
        square = det.postprocess(det.run(mixed.blob), mixed.plan)[0]
        if len(rect) == 0:
            continue
        ious = box_iou(rect.xyxy, square.xyxy) if len(square) else np.zeros((len(rect), 1))
        same_class = rect.class_id[:, None] == square.class_id[None, :] if len(square) else ious > 1
        matched += int(((ious > 0.7) & same_class).any(axis=1).sum())
        total += len(rect)
    assert total > 0, "the model found nothing in the clip"
    assert matched / total >= 0.8
