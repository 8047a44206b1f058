"""``streams``: several model runs at once, sharing the threads out, with the same boxes as one."""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from sitewatch.config.detector import DetectorSettings
from sitewatch.detector import OnnxDetector
from sitewatch.models import default_model_path
from testdata import TINY_LOW_CONFIDENCE as LOW_CONFIDENCE
from testdata import TINY_MODEL as DYNAMIC
from testdata import TINY_STATIC_MODEL as STATIC
from testdata import ConcurrentCalls
from testdata import demo_frame
from testdata import noise_image as image

NO_OPENVINO = importlib.util.find_spec("openvino") is None
BACKENDS = [
    "onnxruntime",
    pytest.param(
        "openvino", marks=pytest.mark.skipif(NO_OPENVINO, reason="the 'openvino' extra is not installed")
    ),
]


def same_boxes(found, expected, backend: str) -> None:
    """ONNX Runtime gives the same bits on any thread count; OpenVINO's streams may pick other kernels."""
    assert len(found) == len(expected)
    for got, want in zip(found, expected, strict=True):
        if backend == "onnxruntime":
            assert got == want
        else:
            assert len(got) == len(want)
            np.testing.assert_allclose(got.xyxy, want.xyxy, atol=0.05)
            np.testing.assert_allclose(got.confidence, want.confidence, atol=1e-4)
            np.testing.assert_array_equal(got.class_id, want.class_id)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("tiles", "frames"),
    [
        ("off", 1),  # one input: one run on one stream
        ("off", 3),  # three frames of one shape: one batch, split over the streams
        ("on", 1),  # one frame, tiles and whole frame: split over the streams
    ],
)
def test_the_shipped_model_finds_the_same_boxes_on_two_streams_as_on_one(backend, tiles, frames):
    pictures = [demo_frame(240 + 40 * k) for k in range(frames)]
    one = OnnxDetector(default_model_path(), threads=2, streams=1, tiles=tiles, backend=backend)
    two = OnnxDetector(default_model_path(), threads=2, streams=2, tiles=tiles, backend=backend)
    expected = one.detect_batch(pictures)
    assert sum(len(d) for d in expected) > 0  # people are in view
    same_boxes(two.detect_batch(pictures), expected, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_a_fixed_batch_model_runs_each_input_on_its_own_stream(backend, count):
    pictures = [image(120, 160, seed) for seed in range(count)]
    one = OnnxDetector(STATIC, confidence=LOW_CONFIDENCE, threads=2, streams=1, backend=backend)
    two = OnnxDetector(STATIC, confidence=LOW_CONFIDENCE, threads=2, streams=2, backend=backend)
    same_boxes(two.detect_batch(pictures), one.detect_batch(pictures), backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_callers_in_many_threads_get_their_own_boxes_and_at_most_streams_runs_go_at_once(backend):
    det = OnnxDetector(DYNAMIC, confidence=LOW_CONFIDENCE, threads=2, streams=2, backend=backend)
    pictures = [image(120, 160, seed) for seed in range(6)]
    expected = [det.detect(p) for p in pictures]
    det.runtime.run = counted = ConcurrentCalls(det.runtime.run)  # the real engine's run, counted
    with ThreadPoolExecutor(6) as pool:
        found = list(pool.map(det.detect, pictures * 4))
    same_boxes(found, expected * 4, backend)
    assert counted.most == 2


def test_onnx_runtime_gives_each_stream_its_share_of_the_threads():
    for threads, streams, per_run in [(2, 1, 2), (2, 2, 1), (4, 2, 2), (5, 2, 2)]:
        det = OnnxDetector(DYNAMIC, threads=threads, streams=streams)
        assert det.streams == streams
        assert det.runtime.session.get_session_options().intra_op_num_threads == per_run


@pytest.mark.parametrize("streams", [0, 3])
def test_streams_outside_one_to_threads_are_refused(streams):
    with pytest.raises(ValueError, match=r"streams must lie in \[1, threads=2\]"):
        OnnxDetector(DYNAMIC, threads=2, streams=streams)


@pytest.mark.parametrize(
    ("settings", "recorded", "streams"),
    [
        ({}, True, 2),  # recorded video: one stream per thread, the most frames a second
        ({}, False, 1),  # live cameras: one stream on every thread, the soonest result
        ({"threads": 4}, True, 4),
        ({"threads": 4, "streams": 2}, True, 2),
        ({"threads": 4, "streams": 2}, False, 2),  # set: the same everywhere
    ],
)
def test_the_default_streams_depend_on_what_is_scored(settings, recorded, streams):
    config = DetectorSettings(**settings)
    assert config.streams_for(recorded=recorded) == streams
    assert OnnxDetector.from_settings(config, DYNAMIC, recorded=recorded).streams == streams
