"""The two engines behind ``OnnxDetector``: ONNX Runtime and OpenVINO give the same model the same meaning."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from sitewatch.config.detector import DetectorSettings
from sitewatch.detector import ModelError, OnnxDetector, runtime_openvino
from sitewatch.detector.batch import to_blob
from sitewatch.detector.runtime import open_runtime
from sitewatch.models import default_model_path
from sitewatch.types import box_iou
from testdata import TINY_LOW_CONFIDENCE as LOW_CONFIDENCE
from testdata import TINY_MODEL as DYNAMIC
from testdata import TINY_NAMES as NAMES
from testdata import TINY_STATIC_MODEL as STATIC
from testdata import demo_frame, write_empty_model, write_text_model
from testdata import noise_image as image

pytest.importorskip("openvino", reason="the openvino backend is tested where the 'openvino' extra is installed")

BACKENDS = ("onnxruntime", "openvino")
DATA = DYNAMIC.parent


def vtest_frame() -> np.ndarray:
    return demo_frame(240)  # a frame with people in view


# -- loading ---------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("path", "input_size", "input_shape"),
    [(DYNAMIC, 128, (None, 3, None, None)), (STATIC, 128, (1, 3, 96, 128))],
)
def test_both_engines_read_the_same_model_description(backend, path, input_size, input_shape):
    det = OnnxDetector(path, threads=1, backend=backend)
    assert det.backend == backend
    assert det.class_names == NAMES
    assert det.input_size == input_size
    assert det.runtime.inputs[0].shape == input_shape and det.runtime.inputs[0].dtype == "float32"
    assert det.input_name == "images"
    assert det.runtime.metadata["names"] == OnnxDetector(path, threads=1).runtime.metadata["names"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (write_text_model, "model.onnx: not a usable ONNX model"),
        (write_empty_model, "empty.onnx: not a usable ONNX model"),
        (lambda tmp: DATA / "no-names.onnx", "no-names.onnx: no class names"),
        # OpenVINO's reader (fed from memory) drops this graph's unused input: it fails on the input first.
        (lambda tmp: DATA / "nms-layout.onnx", "nms-layout.onnx: unsupported model: "),
    ],
)
def test_openvino_model_errors_are_one_line_naming_the_file(tmp_path, make, message):
    with pytest.raises(ModelError, match=message) as caught:
        OnnxDetector(make(tmp_path), backend="openvino")
    assert "\n" not in str(caught.value)


def test_a_missing_openvino_package_is_a_model_error_that_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(runtime_openvino, "ov", None)
    with pytest.raises(ModelError, match=r"tiny-yolo.onnx: the openvino backend needs .*sitewatch\[openvino\]"):
        OnnxDetector(DYNAMIC, backend="openvino")


@pytest.mark.parametrize(
    ("backend", "precision", "message"),
    [("onnxruntime", "bf16", "needs the openvino backend"), ("tensorrt", "f32", "backend must be one of")],
)
def test_engine_choices_that_do_not_exist(backend, precision, message):
    with pytest.raises(ValueError, match=message):
        open_runtime(backend, DYNAMIC.read_bytes(), "tiny", threads=1, precision=precision)


def test_openvino_warns_that_an_int8_copy_is_better_left_to_onnxruntime(caplog):
    int8 = default_model_path().with_name(default_model_path().stem + "-int8.onnx")
    with caplog.at_level(logging.WARNING, logger="sitewatch.detector"):
        OnnxDetector(default_model_path(), backend="openvino")
        assert not caplog.records
        OnnxDetector(int8, backend="openvino")
    expected = (
        f"{int8}: an INT8 (QDQ) model; OpenVINO runs it slower than ONNX Runtime does: "
        "use the float model with the openvino backend"
    )
    assert [r.getMessage() for r in caplog.records] == [expected]


def test_settings_carry_the_engine_to_the_detector():
    det = OnnxDetector.from_settings(DetectorSettings(backend="openvino", threads=1), DYNAMIC)
    assert det.backend == "openvino" and det.runtime.precision == "f32"
    with pytest.raises(ValueError, match="needs backend: openvino"):
        DetectorSettings(precision="bf16")


# -- same numbers ----------------------------------------------------------------
@pytest.mark.parametrize(("count", "height", "width"), [(1, 128, 128), (5, 128, 128), (2, 64, 128)])
def test_f32_raw_outputs_agree_for_any_batch_and_shape(count, height, width):
    """OpenVINO takes the pictures themselves and converts them in the engine, as ``to_blob`` does."""
    pictures = [image(height, width, seed) for seed in range(count)]
    ort_det, ov_det = OnnxDetector(DYNAMIC, threads=1), OnnxDetector(DYNAMIC, threads=1, backend="openvino")
    assert (ort_det.runtime.takes_pictures, ov_det.runtime.takes_pictures) == (False, True)
    ort_raw = ort_det.run(to_blob(pictures))
    ov_raw = ov_det.run(np.stack(pictures))
    assert ov_raw.shape == ort_raw.shape and ov_raw.dtype == np.float32
    np.testing.assert_allclose(ov_raw, ort_raw, rtol=1e-4, atol=1e-3)


def test_prepare_hands_each_engine_its_own_input():
    pictures = [image(96, 128, seed) for seed in range(2)]
    by_ort = OnnxDetector(DYNAMIC, threads=1, tiles="off").prepare(pictures)
    by_ov = OnnxDetector(DYNAMIC, threads=1, tiles="off", backend="openvino").prepare(pictures)
    assert by_ort.blob.shape == (2, 3, 96, 128) and by_ort.blob.dtype == np.float32
    assert by_ov.blob.shape == (2, 96, 128, 3) and by_ov.blob.dtype == np.uint8
    np.testing.assert_array_equal(to_blob(list(by_ov.blob)), by_ort.blob)


def test_fixed_batch_model_on_openvino_pads_and_splits_like_onnxruntime():
    pictures = [image(96, 128, seed) for seed in range(3)]
    by_ort = OnnxDetector(STATIC, confidence=LOW_CONFIDENCE, threads=1, tiles="off").detect_batch(pictures)
    by_ov = OnnxDetector(STATIC, confidence=LOW_CONFIDENCE, threads=1, tiles="off", backend="openvino")
    for mine, theirs in zip(by_ov.detect_batch(pictures), by_ort, strict=True):
        assert len(mine) == len(theirs) > 0
        np.testing.assert_allclose(mine.xyxy, theirs.xyxy, atol=0.05)


@pytest.mark.parametrize(("tiles", "zoom"), [("off", 1.0), ("on", 1.0), ("on", 2.0)])
def test_shipped_model_finds_the_same_boxes_on_both_engines(tiles, zoom):
    frame = vtest_frame()
    by_ort = OnnxDetector(default_model_path(), tiles=tiles, zoom=zoom).detect(frame)
    by_ov = OnnxDetector(default_model_path(), tiles=tiles, zoom=zoom, backend="openvino").detect(frame)
    assert len(by_ort) > 0 and len(by_ov) == len(by_ort)
    np.testing.assert_array_equal(by_ov.class_id, by_ort.class_id)
    np.testing.assert_allclose(by_ov.xyxy, by_ort.xyxy, atol=0.05)
    np.testing.assert_allclose(by_ov.confidence, by_ort.confidence, atol=1e-4)


def test_bf16_keeps_every_confident_box_where_the_cpu_computes_in_bf16():
    """bfloat16 keeps 8 bits of mantissa: scores and edges move a little, the confident boxes stay."""
    frame = vtest_frame()
    exact = OnnxDetector(default_model_path(), tiles="on", backend="openvino").detect(frame)
    fast_det = OnnxDetector(default_model_path(), tiles="on", backend="openvino", precision="bf16")
    import openvino as ov

    native = "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    assert fast_det.runtime.precision == ("bf16" if native else "f32")
    fast = fast_det.detect(frame)
    confident = exact[exact.confidence >= 0.5]
    assert len(confident) > 0
    overlap = box_iou(confident.xyxy, fast.xyxy)
    same_class = confident.class_id[:, None] == fast.class_id[None, :]
    assert ((overlap >= 0.8) & same_class).any(axis=1).all()


def test_one_openvino_detector_serves_several_threads():
    """Cameras share one detector; OpenVINO's request is not thread-safe on its own."""
    det = OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=1, backend="openvino")
    pictures = [image(120, 160, seed) for seed in range(4)]
    expected = [det.detect(p) for p in pictures]
    results: dict[int, list] = {}

    def work(k: int) -> None:
        results[k] = [det.detect(p) for p in pictures for _ in range(5)]

    workers = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for found in results.values():
        assert found == [e for e in expected for _ in range(5)]
