"""OnnxDetector on the tiny random YOLO exports in ``data/`` (see make_tiny_model.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.config.detector import DetectorSettings
from sitewatch.detector import ModelError, OnnxDetector
from sitewatch.detector.batch import postprocess
from sitewatch.detector.decode import decode
from sitewatch.detector.nms import nms
from sitewatch.detector.onnx import metadata_input_size
from sitewatch.types import Detections
from testdata import TINY_LOW_CONFIDENCE as LOW_CONFIDENCE
from testdata import TINY_MODEL as DYNAMIC
from testdata import TINY_NAMES as NAMES
from testdata import TINY_STATIC_MODEL as STATIC
from testdata import noise_image as image
from testdata import write_empty_model, write_text_model

DATA = DYNAMIC.parent


@pytest.fixture(scope="module")
def dynamic() -> OnnxDetector:
    return OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1)


@pytest.fixture(scope="module")
def untiled() -> OnnxDetector:
    return OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1, tiles="off")


def assert_valid(found: Detections, height: int, width: int) -> None:
    assert isinstance(found, Detections) and found.class_names == NAMES
    assert (
        (found.xyxy[:, :2] >= 0).all()
        and (found.xyxy[:, 2] <= width).all()
        and (found.xyxy[:, 3] <= height).all()
    )
    assert (found.area > 0).all()
    assert (np.diff(found.confidence) <= 0).all(), "best score first"
    assert (found.confidence > LOW_CONFIDENCE).all()


# -- loading ---------------------------------------------------------------------
def test_reads_names_size_and_identity_from_the_file(dynamic):
    assert dynamic.class_names == NAMES
    assert dynamic.input_size == 128  # metadata imgsz [128, 128]
    assert dynamic.model_name == "tiny-yolo.onnx"
    assert dynamic.model_sha256 == hashlib.sha256(DYNAMIC.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"imgsz": "[576, 576]"}, 576),
        ({"imgsz": "[448, 576]"}, 576),  # rectangular export: the long side
        ({"imgsz": "640"}, 640),
        ({"imgsz": "[0, 0]"}, None),
        ({"imgsz": "not a size"}, None),
        ({}, None),
    ],
)
def test_metadata_input_size(metadata, expected):
    assert metadata_input_size(metadata) == expected


def test_static_model_size_comes_from_its_input_shape():
    det = OnnxDetector(STATIC, threads=1)
    assert det.class_names == NAMES and det.input_size == 128
    assert det.prepare([image(50, 50)]).blob.shape == (1, 3, 96, 128)


def test_input_size_argument_overrides_metadata():
    det = OnnxDetector(DYNAMIC, input_size=96, threads=1)
    assert det.input_size == 96
    assert det.prepare([image(50, 50)]).blob.shape == (1, 3, 96, 96)


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        ([(50, 80)], (1, 3, 64, 96)),  # 96 x 60 fits 96 x 64: padded to the stride only
        ([(90, 160)], (1, 3, 64, 96)),  # 16:9
        ([(80, 50)], (1, 3, 96, 64)),  # portrait
        ([(50, 50)], (1, 3, 96, 96)),
        ([(50, 80), (50, 80)], (2, 3, 64, 96)),  # one shape: one rectangle for the batch
        ([(50, 80), (80, 50)], (2, 3, 96, 96)),  # mixed shapes share the square
    ],
)
def test_dynamic_model_scores_whole_frames_at_their_aspect(frames, expected):
    det = OnnxDetector(DYNAMIC, input_size=96, threads=1, tiles="off")
    assert det.prepare([image(h, w) for h, w in frames]).blob.shape == expected


def test_from_settings():
    settings = DetectorSettings(
        input_size=64, confidence=0.4, iou=0.6, threads=1, tiles="on", tile_overlap=0.3, zoom=2
    )
    det = OnnxDetector.from_settings(settings, DYNAMIC)
    assert (det.input_size, det.confidence, det.iou, det.tiles, det.tile_overlap, det.zoom) == (
        64,
        0.4,
        0.6,
        "on",
        0.3,
        2.0,
    )


def make_dir(tmp_path: Path) -> Path:
    path = tmp_path / "folder.onnx"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (lambda tmp: tmp / "missing.onnx", {}, "model file not found: .*missing.onnx"),
        (make_dir, {}, "not a file: .*folder.onnx"),
        (write_text_model, {}, "model.onnx: not a usable ONNX model"),
        (write_empty_model, {}, "empty.onnx: not a usable ONNX model"),
        (lambda tmp: DATA / "no-names.onnx", {}, "no-names.onnx: no class names"),
        (
            lambda tmp: DATA / "nms-layout.onnx",
            {},
            "nms-layout.onnx: unsupported model: outputs \\[\\(1, 300, 6\\)\\]",
        ),
        (lambda tmp: STATIC, {"input_size": 416}, "fixed at 128x96; input size 416"),
        (
            lambda tmp: DYNAMIC,
            {"input_size": 100},
            "input size 100 is not a multiple of the model's stride 32",
        ),
    ],
)
def test_model_errors_are_one_line_naming_the_file(tmp_path, make, kwargs, message):
    path = make(tmp_path)
    with pytest.raises(ModelError, match=message) as caught:
        OnnxDetector(path, **kwargs)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.5}, "confidence"),
        ({"iou": 0.0}, "iou"),
        ({"threads": 0}, "threads"),
        ({"tiles": "always"}, "tiles"),
        ({"tile_overlap": 0.5}, "tile_overlap"),
        ({"zoom": 0.5}, "zoom"),
        ({"zoom": 5.0}, "zoom"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OnnxDetector(DYNAMIC, **kwargs)


# -- detection -------------------------------------------------------------------
@pytest.mark.parametrize("tiles", ["auto", "on", "off"])
@pytest.mark.parametrize(("height", "width"), [(128, 128), (100, 300), (240, 320), (30, 20), (333, 97)])
def test_detect_returns_valid_detections_for_any_size(dynamic, tiles, height, width):
    det = OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1, tiles=tiles)
    assert_valid(det.detect(image(height, width)), height, width)


def test_detect_with_default_threshold_on_random_model_is_empty(dynamic):
    det = OnnxDetector(DYNAMIC, threads=1)
    found = det.detect(image(120, 160))
    assert len(found) == 0 and found.class_names == NAMES


@pytest.mark.parametrize("model", [DYNAMIC, STATIC])
@pytest.mark.parametrize("tiles", ["on", "off"])
def test_detect_batch_equals_detect_per_image(model, tiles):
    det = OnnxDetector(model, confidence=LOW_CONFIDENCE, threads=1, tiles=tiles)
    images = [image(120, 160, 1), image(100, 300, 2), image(128, 128, 3), image(200, 90, 4)]
    batch = det.detect_batch(images)
    assert len(batch) == len(images)
    for picture, together in zip(images, batch, strict=True):
        alone = det.detect(picture)
        assert_valid(together, *picture.shape[:2])
        assert len(together) == len(alone)
        np.testing.assert_array_equal(together.class_id, alone.class_id)
        np.testing.assert_allclose(together.xyxy, alone.xyxy, atol=1e-3)
        np.testing.assert_allclose(together.confidence, alone.confidence, atol=1e-6)


def test_detect_batch_of_nothing(dynamic):
    assert dynamic.detect_batch([]) == []


@pytest.mark.parametrize(
    ("model", "width", "height", "slots"),
    [(DYNAMIC, 300, 100, 1 + 3), (DYNAMIC, 160, 120, 1), (STATIC, 300, 100, 1 + 3 * 2)],
)
def test_tiles_are_run_with_the_whole_frame(model, width, height, slots):
    det = OnnxDetector(model, threads=1, tiles="auto")
    prepared = det.prepare([image(height, width)])
    assert len(prepared.blob) == len(prepared.plan.slots) == slots
    assert det.uses_tiles(width, height) is (slots > 1)


def test_detect_is_decode_map_and_nms_of_the_session_output(untiled):
    """detect() adds nothing to the pure steps: same result as running them on the raw output by hand."""
    picture = image(90, 200)
    prepared = untiled.prepare([picture])
    raw = untiled.run(prepared.blob)
    assert prepared.blob.shape == (1, 3, 64, 128)  # 200x90 at 128: 128x58, padded to the stride
    assert raw.shape == (1, 7, 8 * 16 + 4 * 8 + 2 * 4)

    found = decode(raw, LOW_CONFIDENCE)
    boxes = prepared.plan.slots[0].placement.to_frame(found.xyxy)
    # Boxes wholly in the letterbox padding go first; NMS; then clipping to the frame.
    inside = (boxes[:, 2] > 0) & (boxes[:, 3] > 0) & (boxes[:, 0] < 200) & (boxes[:, 1] < 90)
    boxes, scores, classes = boxes[inside], found.score[inside], found.class_id[inside]
    keep = nms(boxes, scores, classes, untiled.iou)
    by_hand = Detections(np.clip(boxes[keep], 0, [200, 90, 200, 90]), scores[keep], classes[keep], NAMES)

    assert len(by_hand) > 0
    assert untiled.detect(picture) == by_hand
    assert untiled.postprocess(raw, prepared.plan) == [by_hand]


def test_fixed_raw_output_through_the_detector_plan(untiled):
    """A hand-made raw output, fed through the detector's own plan, lands where the plan says."""
    prepared = untiled.prepare([image(64, 256)])  # scale 0.5 into a 128x32 input: no padding
    assert prepared.blob.shape == (1, 3, 32, 128)
    raw = np.zeros((1, 7, 4 * 16 + 2 * 8 + 1 * 4), np.float32)
    raw[0, :, 0] = (64, 16, 16, 8, 0.0, 0.9, 0.0)
    raw[0, :, 1] = (66, 16, 16, 8, 0.0, 0.8, 0.0)
    (found,) = untiled.postprocess(raw, prepared.plan)
    expected = postprocess(raw, prepared.plan, confidence=LOW_CONFIDENCE, iou=0.5, class_names=NAMES)[0]
    assert found == expected
    assert found.names == ["helmet"]
    np.testing.assert_allclose(found.xyxy, [[112, 24, 144, 40]])


@pytest.mark.parametrize(
    "bad", [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 3), np.float32), np.zeros((0, 5, 3), np.uint8)]
)
def test_detect_rejects_what_is_not_a_bgr_picture(dynamic, bad):
    with pytest.raises(ValueError, match="image"):
        dynamic.detect(bad)


# -- zoom ---------------------------------------------------------------------------


@pytest.mark.parametrize("zoom", [1.5, 2.0, 3.0])
@pytest.mark.parametrize("tiles", ["on", "off"])
def test_zoom_scores_the_enlarged_frame_and_answers_in_the_frame_s_pixels(zoom, tiles):
    """Zoom z on a frame = no zoom on the frame enlarged z times, with the boxes divided by z."""
    picture = image(70, 150)
    zoomed = OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1, tiles=tiles, zoom=zoom)
    plain = OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1, tiles=tiles)
    enlarged = cv2.resize(picture, (round(150 * zoom), round(70 * zoom)), interpolation=cv2.INTER_LINEAR)

    found, reference = zoomed.detect(picture), plain.detect(enlarged)
    assert len(found) > 0
    np.testing.assert_allclose(found.xyxy, reference.xyxy / zoom, rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(found.confidence, reference.confidence)
    np.testing.assert_array_equal(found.class_id, reference.class_id)
    assert_valid(found, 70, 150)
    # The tiles are cut from the enlarged frame: as many as it needs.
    assert len(zoomed.prepare([picture]).plan.slots) == len(plain.prepare([enlarged]).plan.slots)


def test_zoom_tiles_a_frame_that_would_not_be_tiled_whole():
    det = OnnxDetector(DYNAMIC, threads=1, tiles="on", zoom=2)
    assert len(det.prepare([image(100, 120)]).plan.slots) == 1 + 3 * 2  # 240x200 in 128 px tiles, 15 % overlap
    assert len(OnnxDetector(DYNAMIC, threads=1, tiles="on").prepare([image(100, 120)]).plan.slots) == 1
