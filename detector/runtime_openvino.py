"""The model on OpenVINO's CPU plugin (``detector.backend: openvino``; ``pip install 'sitewatch[openvino]'``).

The ONNX file is read by OpenVINO's ONNX front end alone (``read_model``
would try every framework's reader on a bad file and print their errors),
compiled once with its dynamic axes kept (a new input shape costs one slower
first run, not a recompile), for latency on ``threads`` threads, or with
``streams`` above 1 as that many OpenVINO streams, one infer request each. A float32
model is compiled with its input conversion in front (OpenVINO's
``PrePostProcessor``): it takes the letterboxed BGR uint8 pictures as they
are, and the channel swap, the division by 255 and the NHWC -> NCHW
transpose run in OpenVINO's threads instead of in numpy before each run
(for the demo camera's ten inputs a frame, 3.4 ms of preparation instead of
17 ms; bench/README.md).
``precision: f32`` pins OpenVINO to float32, which matches ONNX Runtime to
about 1e-3 px; ``bf16`` lets it compute in bfloat16 where the CPU does so
natively (AVX512-BF16 or AMX), about twice as fast there, and in float32
elsewhere. ``precision`` reports what it chose.
"""

from __future__ import annotations

import io
import logging
import queue

import numpy as np

from sitewatch.detector.errors import ModelError
from sitewatch.detector.runtime import Backend, Precision, TensorInfo, first_line

try:
    import openvino as ov
    from openvino.frontend import FrontEndManager
    from openvino.preprocess import PrePostProcessor
except ImportError:  # optional: checked when the backend is asked for
    ov = None

_DTYPES = {"f32": "float32", "f16": "float16", "u8": "uint8"}

log = logging.getLogger("sitewatch.detector")


def _info(port) -> TensorInfo:
    shape = tuple(d.get_length() if d.is_static else None for d in port.get_partial_shape())
    return TensorInfo(port.get_any_name(), shape, _DTYPES.get(port.get_element_type().get_type_name(), "other"))


class OpenVinoRuntime:
    backend: Backend = "openvino"

    def __init__(
        self, model_bytes: bytes, label: str, *, threads: int, streams: int = 1, precision: Precision = "f32"
    ) -> None:
        if ov is None:
            raise ModelError(
                f"{label}: the openvino backend needs the OpenVINO package: pip install 'sitewatch[openvino]'"
            )
        try:
            front_end = FrontEndManager().load_by_framework("onnx")
            model = front_end.convert(front_end.load(io.BytesIO(model_bytes)))
        except Exception as exc:  # OpenVINO raises its own types (GeneralFailure, RuntimeError, ...)
            raise ModelError(f"{label}: not a usable ONNX model ({first_line(exc)})") from None
        if not model.outputs:  # an empty file parses as an empty ONNX message
            raise ModelError(f"{label}: not a usable ONNX model (the graph is empty)")
        if any(op.get_type_name() == "FakeQuantize" for op in model.get_ops()):
            # Measured with sitewatch quantize's INT8 copy: slower than on ONNX Runtime, and other boxes.
            log.warning(
                "%s: an INT8 (QDQ) model; OpenVINO runs it slower than ONNX Runtime does: "
                "use the float model with the openvino backend",
                label,
            )
        self.inputs = tuple(_info(port) for port in model.inputs)
        self.outputs = tuple(_info(port) for port in model.outputs)
        framework = model.get_rt_info()["framework"] if model.has_rt_info("framework") else {}
        self.metadata = {str(key): value.astype(str) for key, value in framework.items()}
        self.takes_pictures = (
            len(self.inputs) == 1
            and self.inputs[0].dtype == "float32"
            and len(self.inputs[0].shape) == 4
            and self.inputs[0].shape[1] in (3, None)
        )
        core = ov.Core()
        # Without native support OpenVINO would emulate bfloat16, slower than float32.
        native_bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        config = {
            "INFERENCE_NUM_THREADS": threads,
            # NUM_STREAMS shares the threads out among that many runs at once.
            **({"PERFORMANCE_HINT": "LATENCY"} if streams == 1 else {"NUM_STREAMS": streams}),
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" and native_bf16 else "f32",
        }
        try:
            if self.takes_pictures:
                model = _with_input_conversion(model)
            self._compiled = core.compile_model(model, "CPU", config)
        except Exception as exc:
            raise ModelError(f"{label}: OpenVINO cannot compile the model ({first_line(exc)})") from None
        # A request is not safe to share between threads (cameras share one
        # detector): each run borrows one of the `streams` requests.
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(streams):
            self._requests.put(self._compiled.create_infer_request())

    @property
    def precision(self) -> str:
        return self._compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()

    def run(self, blob: np.ndarray) -> np.ndarray:
        request = self._requests.get()
        try:
            # share_outputs=False (the default) copies the result out of the request's buffer.
            return request.infer({0: blob})[0]
        finally:
            self._requests.put(request)


def _with_input_conversion(model):
    """``model`` taking (N, H, W, 3) BGR uint8 pictures: what ``to_blob`` does, done by OpenVINO."""
    steps = PrePostProcessor(model)
    steps.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    steps.input().model().set_layout(ov.Layout("NCHW"))
    steps.input().preprocess().convert_element_type(ov.Type.f32).reverse_channels().scale(255.0)
    return steps.build()
