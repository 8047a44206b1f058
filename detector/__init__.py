"""Object detection: Ultralytics-exported YOLO models (ONNX) on ONNX Runtime, or on OpenVINO.

``OnnxDetector`` is the only part the pipeline needs; the pure pieces it is
built from (letterbox, decode, NMS, tiling, batch planning) are importable
from their modules for tests and tools, and the engines sit behind
``sitewatch.detector.runtime``.
"""

from sitewatch.detector.errors import ModelError
from sitewatch.detector.onnx import OnnxDetector, PreparedBatch

__all__ = ["ModelError", "OnnxDetector", "PreparedBatch"]
