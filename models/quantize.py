"""Static INT8 quantization of an exported detector (ONNX Runtime's QDQ format).

On a CPU with AVX-512 VNNI (or AVX2) an INT8 YOLO runs markedly faster than
the float model: the convolutions, nearly all of its work, run on 8-bit
integers. The box regression (the distribution-focal-loss softmax, the
anchor decoding and the final concatenation of the Detect head) stays in
float, since rounding there moves every box; the head's convolutions are
quantized like the rest.

Activations are calibrated on photos from the training split (never valid or
test), letterboxed exactly as the detector feeds them. Weights are quantized
per output channel (int8), activations per tensor (uint8), ranges by
min/max over the calibration photos. The result keeps the source model's
metadata (class names, input size), so every command can run it with
``--model``.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2
import onnx

from sitewatch.detector.onnx import OnnxDetector
from sitewatch.models.datasets import photos_in


def head_prefix(model: onnx.ModelProto) -> str:
    """The node-name prefix of the last top-level module (Ultralytics' Detect head), e.g. ``/model.23/``."""
    indices = {
        int(part[len("model."):])
        for node in model.graph.node
        if node.name.startswith("/model.") and (part := node.name.split("/")[1])[len("model."):].isdigit()
    }
    if not indices:
        raise ValueError("not an Ultralytics export: no /model.N/ nodes to find its Detect head")
    return f"/model.{max(indices)}/"


def float_nodes(model: onnx.ModelProto) -> list[str]:
    """Nodes kept in float: everything of the Detect head except its convolutions."""
    prefix = head_prefix(model)
    return [n.name for n in model.graph.node if n.name.startswith(prefix) and n.op_type != "Conv"]


def calibration_photos(folder: Path, count: int, seed: int = 0) -> list[Path]:
    photos = photos_in(folder)
    if not photos:
        raise ValueError(f"{folder}: no photos to calibrate on")
    random.Random(seed).shuffle(photos)
    return photos[:count]


def quantize_model(source: Path, out: Path, photos: Sequence[Path]) -> Path:
    """Write an INT8 (QDQ) copy of ``source`` to ``out``, calibrated on ``photos``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    detector = OnnxDetector(source, tiles="off")
    size = detector.input_size
    input_name = detector.input_name

    class Photos(CalibrationDataReader):
        def __init__(self) -> None:
            self._left = iter(photos)

        def get_next(self) -> dict | None:
            for path in self._left:
                image = cv2.imread(str(path))
                if image is None:
                    continue  # an unreadable photo is skipped, not fatal
                # As the detector sees a whole frame: the long side at the input size.
                return {input_name: detector.prepare([image]).blob}
            return None

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        # Ultralytics' dynamic axes defeat symbolic shape inference; ONNX's own suffices.
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared), str(out), Photos(),
            quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            nodes_to_exclude=float_nodes(onnx.load(str(prepared))),
            calibrate_method=CalibrationMethod.MinMax,
        )
    # Keep the source's metadata (names, imgsz, stride) and say what was done.
    quantized, original = onnx.load(str(out)), onnx.load(str(source))
    del quantized.metadata_props[:]
    for prop in original.metadata_props:
        quantized.metadata_props.add(key=prop.key, value=prop.value)
    quantized.metadata_props.add(key="sitewatch_quantized", value=f"int8 static QDQ, {len(photos)} calibration photos, input {size}")
    onnx.save(quantized, str(out))
    return out
