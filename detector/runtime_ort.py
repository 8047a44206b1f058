"""The model on ONNX Runtime's CPU execution provider (the default engine)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from sitewatch.detector.errors import ModelError
from sitewatch.detector.runtime import Backend, TensorInfo, first_line

_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(uint8)": "uint8"}


def _info(arg) -> TensorInfo:
    shape = tuple(d if isinstance(d, int) and d > 0 else None for d in arg.shape)
    return TensorInfo(arg.name, shape, _DTYPES.get(arg.type, "other"))


class OrtRuntime:
    backend: Backend = "onnxruntime"
    takes_pictures = False

    def __init__(self, model_bytes: bytes, label: str, *, threads: int, streams: int = 1) -> None:
        options = ort.SessionOptions()
        # A session may be run from several threads at once; each run uses the
        # calling thread plus intra_op_num_threads - 1 of the session's pool.
        options.intra_op_num_threads = max(1, threads // streams)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: ORT's warnings are for model authors
        try:
            self.session = ort.InferenceSession(
                model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own exception types for every kind of bad file
            raise ModelError(f"{label}: not a usable ONNX model ({first_line(exc)})") from None
        self.inputs = tuple(_info(i) for i in self.session.get_inputs())
        self.outputs = tuple(_info(o) for o in self.session.get_outputs())
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self._input_name = self.inputs[0].name if self.inputs else ""

    @property
    def precision(self) -> str:
        return "f16" if self.inputs and self.inputs[0].dtype == "float16" else "f32"

    def run(self, blob: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self._input_name: blob})[0]
