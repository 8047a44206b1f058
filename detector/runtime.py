"""Where the model runs: one small interface over ONNX Runtime (the default) and OpenVINO.

``OnnxDetector`` needs four things of an inference engine: the input's name,
shape and element type, the outputs' shapes, the model's metadata (class
names, input size, stride), and a call that turns a batch of model inputs
into the raw output. Everything around that call (letterbox, tiles, decode,
NMS) is the same numpy code for either engine, so both give the same boxes
from the same output. The one difference is where the letterboxed pictures
become the model's float input: in numpy for ONNX Runtime, inside the
engine for OpenVINO (``takes_pictures``).

Why a second engine: on Intel CPUs OpenVINO runs the same ONNX file faster
than ONNX Runtime, and where the CPU computes in bfloat16 (AVX512-BF16, AMX)
about twice as fast again (bench/README.md). It is optional: the package is
large, and ONNX Runtime is what every command uses unless told otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Backend = Literal["onnxruntime", "openvino"]
Precision = Literal["f32", "bf16"]
BACKENDS: tuple[Backend, ...] = ("onnxruntime", "openvino")


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One model input or output: its name, shape (None for a dynamic axis) and element type."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str  # numpy's name: "float32", "float16", ... ("other" for a type numpy lacks)


class ModelRuntime(Protocol):
    """A loaded model, ready to run on the CPU."""

    backend: Backend
    inputs: tuple[TensorInfo, ...]  # the ONNX graph's own, whatever ``run`` takes
    outputs: tuple[TensorInfo, ...]
    metadata: dict[str, str]
    # True: ``run`` takes the letterboxed pictures as they are, BGR uint8
    # stacked (N, H, W, 3), and turns them into the model's RGB [0, 1] NCHW
    # input itself; False: it takes that float NCHW blob.
    takes_pictures: bool

    @property
    def precision(self) -> str:
        """What the engine computes in ("f32", "bf16", ...), as it reports it."""
        ...

    def run(self, blob: np.ndarray) -> np.ndarray:
        """The first output for a batch of inputs (see ``takes_pictures``), as a new array the caller may keep.

        Safe to call from up to ``streams`` threads at once (see ``open_runtime``).
        """
        ...


def open_runtime(
    backend: Backend,
    model_bytes: bytes,
    label: str,
    *,
    threads: int,
    streams: int = 1,
    precision: Precision = "f32",
) -> ModelRuntime:
    """Load ``model_bytes`` (an ONNX file; ``label`` names it in errors) into ``backend``.

    ``threads`` is every thread the model may use; ``streams`` how many runs
    go at once, each on ``threads // streams`` of them. One stream gives the
    shortest run; one stream per thread the most inputs a second, since one
    run on one thread wastes nothing on keeping threads in step (measured in
    bench/README.md, "Streams").

    Raises ``ModelError`` for a file the engine cannot use, and for an engine
    that is not installed.
    """
    if not 1 <= streams <= threads:
        raise ValueError(f"streams must lie in [1, threads={threads}], got {streams}")
    if backend == "onnxruntime":
        if precision != "f32":
            raise ValueError(f"precision {precision!r} needs the openvino backend; onnxruntime runs the model as is")
        from sitewatch.detector.runtime_ort import OrtRuntime

        return OrtRuntime(model_bytes, label, threads=threads, streams=streams)
    if backend == "openvino":
        from sitewatch.detector.runtime_openvino import OpenVinoRuntime

        return OpenVinoRuntime(model_bytes, label, threads=threads, streams=streams, precision=precision)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


def first_line(exc: BaseException, limit: int = 160) -> str:
    """An engine's exception as one line for a user: its first line, shortened."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."
