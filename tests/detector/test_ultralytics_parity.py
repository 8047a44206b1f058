"""Our untiled post-processing against Ultralytics' own NMS and box scaling on the same raw output.

Needs the train extra (torch, ultralytics); skipped without it. The raw output
is random but well-formed (distinct scores, boxes inside the letterboxed
picture), so both sides must keep exactly the same boxes.
"""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.detector.batch import postprocess, prepare_inputs

pytestmark = pytest.mark.train

NAMES = ("head", "helmet", "person")


def random_raw(seed: int, anchors: int, input_size: int, content: tuple[int, int, int, int]) -> np.ndarray:
    """(1, 7, anchors): boxes whose centres lie in ``content`` (x0, y0, x1, y1), distinct class scores."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = content
    raw = np.zeros((1, 7, anchors), np.float32)
    wh = rng.uniform(4, 30, (anchors, 2))
    raw[0, 0] = rng.uniform(x0 + wh[:, 0] / 2, x1 - wh[:, 0] / 2)
    raw[0, 1] = rng.uniform(y0 + wh[:, 1] / 2, y1 - wh[:, 1] / 2)
    raw[0, 2:4] = wh.T
    raw[0, 4:] = rng.permutation(3 * anchors).reshape(3, anchors) / (3 * anchors)
    return raw


@pytest.mark.parametrize(("width", "height"), [(200, 100), (128, 128), (90, 160), (640, 360)])
@pytest.mark.parametrize(("confidence", "iou"), [(0.25, 0.5), (0.6, 0.7), (0.05, 0.3)])
def test_same_boxes_as_ultralytics(monkeypatch, tmp_path, width, height, confidence, iou):
    # Ultralytics reads these when first imported: offline, and its settings file in a temp dir.
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path))
    torch = pytest.importorskip("torch", reason="needs the train extra (torch)")
    nms_module = pytest.importorskip("ultralytics.utils.nms", reason="needs the train extra (ultralytics)")
    ops = pytest.importorskip("ultralytics.utils.ops", reason="needs the train extra (ultralytics)")

    size = 128
    _, plan = prepare_inputs([np.zeros((height, width, 3), np.uint8)], (size, size), [False], 0.2)
    placement = plan.slots[0].placement
    content = placement.to_input(np.array([[0, 0, width, height]], np.float32))[0]
    raw = random_raw(width + height, 600, size, tuple(content))

    (ours,) = postprocess(raw, plan, confidence=confidence, iou=iou, class_names=NAMES)

    (theirs,) = nms_module.non_max_suppression(
        torch.from_numpy(raw), conf_thres=confidence, iou_thres=iou, max_det=300, max_time_img=10.0
    )
    boxes = ops.scale_boxes((size, size), theirs[:, :4].clone(), (height, width)).numpy()
    order = np.argsort(-theirs[:, 4].numpy(), kind="stable")

    assert len(ours) == len(theirs) > 0
    np.testing.assert_allclose(ours.confidence, theirs[order, 4].numpy(), atol=1e-6)
    np.testing.assert_array_equal(ours.class_id, theirs[order, 5].numpy().astype(int))
    np.testing.assert_allclose(ours.xyxy, boxes[order], atol=1e-3)
