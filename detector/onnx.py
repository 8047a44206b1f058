"""``OnnxDetector``: an Ultralytics-exported YOLO detection model run on the CPU (ONNX Runtime or OpenVINO)."""

from __future__ import annotations

import ast
import hashlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

from sitewatch.ahead import run_ahead
from sitewatch.detector.batch import BatchPlan, check_image, postprocess, prepare_inputs, to_blob
from sitewatch.detector.decode import check_layout
from sitewatch.detector.errors import ModelError
from sitewatch.detector.runtime import Backend, ModelRuntime, Precision, open_runtime
from sitewatch.detector.tiling import uses_tiles
from sitewatch.types import Detections

if TYPE_CHECKING:
    from sitewatch.config.detector import DetectorSettings

TileMode = Literal["auto", "on", "off"]

# Inputs per session run when the batch axis is dynamic: enough for several
# cameras' frames and tiles in one call, while bounding the activation memory
# of a very large detect_batch (it is then split into runs of this size).
MAX_RUN_BATCH = 64
DEFAULT_STRIDE = 32


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """Model inputs for a batch of frames and how their rows map back.

    ``blob`` is what the engine's ``run`` takes: the NCHW RGB float blob in
    [0, 1], or, for an engine that converts pictures itself (OpenVINO), the
    letterboxed BGR uint8 pictures stacked (N, H, W, 3).
    """

    blob: np.ndarray
    plan: BatchPlan


def _parse_literal(text: str | None) -> object:
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _class_names(path: Path, metadata: dict[str, str]) -> tuple[str, ...]:
    raw = metadata.get("names")
    if raw is None:
        raise ModelError(
            f"{path}: no class names in the model metadata ('names'); export it with Ultralytics"
        )
    parsed = _parse_literal(raw)
    if isinstance(parsed, dict):
        keys = sorted(parsed) if all(isinstance(k, int) for k in parsed) else None
        if keys is None or keys != list(range(len(parsed))):
            parsed = None
        else:
            parsed = [parsed[k] for k in keys]
    if (
        not isinstance(parsed, (list, tuple))
        or not parsed
        or not all(isinstance(n, str) and n for n in parsed)
    ):
        raise ModelError(f"{path}: cannot read the class names in the model metadata ('names': {raw[:80]!r})")
    return tuple(parsed)


def metadata_input_size(metadata: dict[str, str]) -> int | None:
    """The input size an Ultralytics export states in its ``imgsz`` metadata (the long side), or None."""
    parsed = _parse_literal(metadata.get("imgsz"))
    if isinstance(parsed, int) and parsed > 0:
        return parsed
    if isinstance(parsed, (list, tuple)) and parsed and all(isinstance(v, int) and v > 0 for v in parsed):
        return max(parsed)
    return None


class OnnxDetector:
    """Detects heads, helmets and persons (or whatever the model's classes are) in BGR frames.

    The model is an Ultralytics YOLOv8/YOLO11 detection export: one input
    (batch, 3, H, W), one output (batch, 4 + classes, anchors), class names in
    the ``names`` metadata. Height and width may be fixed or dynamic; so may
    the batch axis (one session run per batch when dynamic, a loop otherwise).

    Frames are letterboxed into the model input: a square ``input_size`` for a
    dynamic model (as ``YOLO.predict`` with a fixed imgsz), the fixed H x W of
    a static one. With tiling, a frame is also cut into overlapping
    full-resolution tiles of the input's size; see ``uses_tiles`` for when.
    A ``zoom`` above 1 enlarges each frame before all of this, so that its
    tiles show small heads bigger (it only helps together with tiles).
    Boxes come back in the original frame's pixels, clipped to it, best
    score first. ``backend`` picks the engine that runs the model (see
    ``sitewatch.detector.runtime``); ``precision="bf16"`` is OpenVINO's.

    ``streams`` above 1 shares the ``threads`` out among that many model runs
    at once: a batch of several inputs (tiles, cameras) is split across them,
    and several threads may call ``detect`` at once (``score_videos`` keeps
    one frame in flight per stream). Each run takes longer, more of them end
    each second, and the boxes are the same either way.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        input_size: int | None = None,
        confidence: float = 0.25,
        iou: float = 0.5,
        threads: int = 2,
        streams: int = 1,
        tiles: TileMode = "auto",
        tile_overlap: float = 0.15,
        zoom: float = 1.0,
        backend: Backend = "onnxruntime",
        precision: Precision = "f32",
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1], got {confidence}")
        if not 0.0 < iou <= 1.0:
            raise ValueError(f"iou must lie in (0, 1], got {iou}")
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        if tiles not in ("auto", "on", "off"):
            raise ValueError(f"tiles must be 'auto', 'on' or 'off', got {tiles!r}")
        if not 0.0 <= tile_overlap < 0.5:
            raise ValueError(f"tile_overlap must lie in [0, 0.5), got {tile_overlap}")
        if not 1.0 <= zoom <= 4.0:
            raise ValueError(f"zoom must lie in [1, 4], got {zoom}")
        self.confidence = float(confidence)
        self.iou = float(iou)
        self.tiles: TileMode = tiles
        self.tile_overlap = float(tile_overlap)
        self.zoom = float(zoom)
        self.model_path = Path(model_path)

        model_bytes = self._read(self.model_path)
        self.model_sha256 = hashlib.sha256(model_bytes).hexdigest()
        self.model_name = self.model_path.name  # the file name, as reports show it
        self.runtime: ModelRuntime = open_runtime(
            backend, model_bytes, str(self.model_path), threads=threads, streams=streams, precision=precision
        )
        del model_bytes
        self.streams = streams
        # At most `streams` runs at once, whoever calls: more would only fight over the threads.
        self._slots = threading.BoundedSemaphore(streams)

        metadata = self.runtime.metadata
        task = metadata.get("task")
        if task is not None and task != "detect":
            raise ModelError(f"{self.model_path}: is a '{task}' model; a detection model is needed")
        self.class_names = _class_names(self.model_path, metadata)
        self._check_graph()
        self._dynamic_stride: int | None = None  # set when height and width are dynamic
        self._input_hw = self._resolve_input_hw(input_size, metadata)
        self.input_size = max(self._input_hw)

    @classmethod
    def from_settings(cls, settings: DetectorSettings, model_path: Path, *, recorded: bool = False) -> OnnxDetector:
        """The detector ``settings`` describe; ``recorded``: for recorded video (see ``DetectorSettings.streams_for``)."""
        return cls(
            model_path,
            input_size=settings.input_size,
            confidence=settings.confidence,
            iou=settings.iou,
            threads=settings.threads,
            streams=settings.streams_for(recorded=recorded),
            tiles=settings.tiles,
            tile_overlap=settings.tile_overlap,
            zoom=settings.zoom,
            backend=settings.backend,
            precision=settings.precision,
        )

    # -- loading --------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> bytes:
        if not path.exists():
            raise ModelError(f"model file not found: {path}")
        if not path.is_file():
            raise ModelError(f"model path is not a file: {path}")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from None

    def _check_graph(self) -> None:
        inputs, outputs = self.runtime.inputs, self.runtime.outputs
        if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[1] not in (3, None):
            shapes = [tuple(i.shape) for i in inputs]
            raise ModelError(
                f"{self.model_path}: unsupported model: inputs {shapes}, expected one (batch, 3, H, W)"
            )
        if inputs[0].dtype not in ("float32", "float16"):
            raise ModelError(f"{self.model_path}: unsupported model: input type {inputs[0].dtype}")
        shape = tuple(outputs[0].shape) if outputs else ()
        expected = 4 + len(self.class_names)
        if len(outputs) != 1 or len(shape) != 3 or shape[1] not in (expected, None):
            shapes = [tuple(o.shape) for o in outputs]
            raise ModelError(
                f"{self.model_path}: unsupported model: outputs {shapes}, expected one "
                f"(batch, 4 + {len(self.class_names)} classes, anchors) (an Ultralytics export without NMS)"
            )
        self._input_dtype = np.dtype(inputs[0].dtype)
        self._run_batch = inputs[0].shape[0]  # None: dynamic

    def _resolve_input_hw(self, requested: int | None, metadata: dict[str, str]) -> tuple[int, int]:
        _, _, height, width = self.runtime.inputs[0].shape
        if height is not None and width is not None:
            if requested is not None and requested != max(height, width):
                raise ModelError(
                    f"{self.model_path}: the model's input is fixed at {width}x{height}; "
                    f"input size {requested} does not fit it"
                )
            return height, width
        if height is not None or width is not None:
            raise ModelError(
                f"{self.model_path}: unsupported model: only one of input height and width is fixed"
            )
        size = requested if requested is not None else metadata_input_size(metadata)
        if size is None:
            raise ModelError(
                f"{self.model_path}: the model does not say its input size (no 'imgsz'); pass one"
            )
        stride = _parse_literal(metadata.get("stride"))
        stride = stride if isinstance(stride, int) and stride > 0 else DEFAULT_STRIDE
        self._dynamic_stride = stride
        if size % stride:
            raise ModelError(
                f"{self.model_path}: input size {size} is not a multiple of the model's stride {stride}"
            )
        return size, size

    # -- detection ------------------------------------------------------------
    def uses_tiles(self, width: int, height: int) -> bool:
        """Whether a ``width`` x ``height`` frame is scored in tiles plus one whole-frame pass.

        ``tiles="off"``: never. ``"on"``: whenever the frame is larger than the
        model input along either axis. ``"auto"``: when the frame's longer side
        exceeds 1.5 x ``input_size`` (a 768x576 frame with a 416 px model: 768 >
        624, tiled into 3 x 2 tiles; a 600x450 one: not tiled).
        """
        input_h, input_w = self._input_hw
        return uses_tiles(self.tiles, width, height, input_w, input_h)

    def detect(self, image_bgr: np.ndarray) -> Detections:
        """Boxes in ``image_bgr`` (BGR uint8, H x W x 3), in its pixels."""
        return self.detect_batch([image_bgr])[0]

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """One ``Detections`` per image; a dynamic-batch model scores them all in one session run."""
        if len(images) == 0:
            return []
        # Frames of one shape share a batch (and, untiled, a rectangular input);
        # grouping keeps each frame's result independent of what it was batched with.
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            groups.setdefault(tuple(image.shape), []).append(i)
        results: list[Detections] = [None] * len(images)  # type: ignore[list-item]
        for members in groups.values():
            prepared = self.prepare([images[i] for i in members])
            for i, found in zip(members, self.postprocess(self.run(prepared.blob), prepared.plan), strict=True):
                results[i] = found
        return results

    def prepare(self, images: Sequence[np.ndarray]) -> PreparedBatch:
        """The model inputs for ``images`` (whole-frame letterboxes and tiles) as one blob.

        With a ``zoom`` above 1 each frame is first enlarged by it (bilinear),
        so tiling and the plan see the enlarged frame; ``postprocess`` maps the
        boxes back to the frame's own pixels.
        """
        for image in images:
            check_image(image)
        if self.zoom != 1.0:
            images = [
                cv2.resize(
                    image,
                    (round(image.shape[1] * self.zoom), round(image.shape[0] * self.zoom)),
                    interpolation=cv2.INTER_LINEAR,
                )
                for image in images
            ]
        tiled = [self.uses_tiles(image.shape[1], image.shape[0]) for image in images]
        pictures, plan = prepare_inputs(images, self._batch_input_hw(images, tiled), tiled, self.tile_overlap)
        if self.runtime.takes_pictures:
            return PreparedBatch(np.stack(pictures), plan)
        return PreparedBatch(to_blob(pictures, self._input_dtype), plan)

    def _batch_input_hw(self, images: Sequence[np.ndarray], tiled: Sequence[bool]) -> tuple[int, int]:
        """The input size for one batch: square, or a rectangle where that is exact and cheaper.

        A dynamic model scoring whole frames of one shape gets the frame's
        aspect: the long side at ``input_size`` and the short side padded only
        up to the stride (4:3 -> 416x320, 16:9 -> 416x256), as Ultralytics
        predicts. The model sees the same pixels at the same scale, with less
        padding to compute on: 23 % less work for 4:3 cameras, 38 % for 16:9.
        Tiles are squares, so a batch with tiles stays square.
        """
        if self._dynamic_stride is None or any(tiled) or len({im.shape[:2] for im in images}) != 1:
            return self._input_hw
        stride = self._dynamic_stride
        height, width = images[0].shape[:2]
        gain = self.input_size / max(height, width)
        rect_h = min(self.input_size, math.ceil(round(height * gain) / stride) * stride)
        rect_w = min(self.input_size, math.ceil(round(width * gain) / stride) * stride)
        return rect_h, rect_w

    def run(self, blob: np.ndarray) -> np.ndarray:
        """The raw model output (N, 4 + classes, anchors) for N model inputs (a ``PreparedBatch.blob``).

        The inputs go in runs of at most ``MAX_RUN_BATCH`` (exactly the batch of
        a model with a fixed one), and over the streams when there are several.
        """
        rows = len(blob)
        fixed = self._run_batch
        if fixed is None:
            step = min(MAX_RUN_BATCH, math.ceil(rows / min(self.streams, rows))) if rows else 1
        else:
            step = fixed
        if rows <= step and (fixed is None or rows == step):
            return self._run_once(blob)
        # With several streams the parts run at once (the semaphore in _run_once bounds them).
        parts = run_ahead(lambda start: self._run_part(blob, start, step), range(0, rows, step), self.streams)
        return np.concatenate([raw for _, raw in parts])

    def _run_part(self, blob: np.ndarray, start: int, step: int) -> np.ndarray:
        chunk = blob[start : start + step]
        rows = len(chunk)
        if self._run_batch is not None and rows < step:
            # A fixed batch axis takes exactly `step` inputs: pad with blanks, drop their rows.
            chunk = np.concatenate([chunk, np.zeros((step - rows, *chunk.shape[1:]), chunk.dtype)])
        return self._run_once(chunk)[:rows]

    def _run_once(self, blob: np.ndarray) -> np.ndarray:
        with self._slots:
            raw = self.runtime.run(blob)
        try:
            check_layout(raw.shape, len(self.class_names))
        except ValueError as exc:
            raise ModelError(f"{self.model_path}: unsupported model: {exc}") from None
        return raw if raw.dtype == np.float32 else raw.astype(np.float32)

    def postprocess(self, raw: np.ndarray, plan: BatchPlan) -> list[Detections]:
        """Raw output for ``plan``'s inputs -> one ``Detections`` per frame (see ``batch.postprocess``)."""
        found = postprocess(raw, plan, confidence=self.confidence, iou=self.iou, class_names=self.class_names)
        if self.zoom == 1.0:
            return found
        return [Detections(d.xyxy / self.zoom, d.confidence, d.class_id, d.class_names) for d in found]

    @property
    def input_name(self) -> str:
        return self.runtime.inputs[0].name

    @property
    def backend(self) -> Backend:
        return self.runtime.backend

    @property
    def engine(self) -> str:
        """The engine and the precision it computes in, for reports: "onnxruntime f32", "openvino bf16"."""
        return f"{self.runtime.backend} {self.runtime.precision}"

    def __repr__(self) -> str:
        return (
            f"OnnxDetector({self.model_name!r}, input_size={self.input_size}, classes={self.class_names}, "
            f"confidence={self.confidence}, iou={self.iou}, tiles={self.tiles!r}, zoom={self.zoom}, "
            f"backend={self.backend!r}, precision={self.runtime.precision!r}, streams={self.streams})"
        )
