"""``detector:`` section: which model runs and how."""

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from sitewatch.config.base import Section


class DetectorSettings(Section):
    model: Path | None = Field(None, description="ONNX model file; default: the model shipped in sitewatch/models")
    input_size: int | None = Field(
        None, ge=32, le=2048, multiple_of=32, description="model input side in px; default: the model's own"
    )
    confidence: float = Field(0.25, ge=0.0, le=1.0, description="minimum box confidence kept after decoding")
    iou: float = Field(0.5, gt=0.0, le=1.0, description="IoU above which NMS suppresses the weaker box")
    threads: int = Field(2, ge=1, le=64, description="threads the model runs on")
    # One run on one thread wastes nothing on keeping threads in step, so one
    # frame per thread gets through more frames a second than every thread on
    # one frame (1.2x on 2 cores; bench/README.md "Streams"), each frame later.
    streams: int | None = Field(
        None,
        ge=1,
        le=64,
        description="model runs at once, sharing the threads out evenly; default: one per thread for "
        "recorded video (score, eval clips: the most frames a second), one for live cameras (the "
        "soonest result)",
    )
    # OpenVINO is optional (pip install 'sitewatch[openvino]'): faster on Intel
    # CPUs, about twice again in bf16 where the CPU has it (bench/README.md).
    backend: Literal["onnxruntime", "openvino"] = Field(
        "onnxruntime", description="the engine that runs the model: 'onnxruntime' or 'openvino'"
    )
    precision: Literal["f32", "bf16"] = Field(
        "f32",
        description="'bf16' (openvino only): compute in bfloat16 where the CPU does so natively, float32 elsewhere",
    )
    tiles: Literal["auto", "on", "off"] = Field(
        "auto",
        description="score overlapping model-size tiles of the full-resolution frame: 'auto' does so when the "
        "frame is much larger than the model input",
    )
    # 0.15 of a 416 px tile is 62 px: more than a far-field head or helmet, and it
    # lets a 768x576 frame be covered by 2x2 tiles instead of 3x2. Large objects
    # cut by a tile edge are found by the whole-frame pass.
    tile_overlap: float = Field(0.15, ge=0.0, lt=0.5, description="minimum fraction of a tile shared with its neighbour")
    # Far-field heads of 8-15 px are at the bottom of what the model was
    # trained on; enlarged 2x they are scored with more confidence (vtest.avi:
    # docs/configuration.md). The cost grows with the square of the zoom.
    zoom: float = Field(
        1.0,
        ge=1.0,
        le=4.0,
        description="enlarge each frame by this factor before detection (far-field cameras); boxes come back "
        "in the frame's own pixels",
    )

    def streams_for(self, *, recorded: bool) -> int:
        """The streams to run: the configured ones, else one per thread for recorded video and one live."""
        if self.streams is not None:
            return self.streams
        return self.threads if recorded else 1

    @model_validator(mode="after")
    def _streams_within_threads(self) -> "DetectorSettings":
        if self.streams is not None and self.streams > self.threads:
            raise ValueError(f"streams ({self.streams}) cannot exceed threads ({self.threads}): each stream needs one")
        return self

    @model_validator(mode="after")
    def _precision_needs_openvino(self) -> "DetectorSettings":
        if self.precision != "f32" and self.backend != "openvino":
            raise ValueError(f"precision {self.precision!r} needs backend: openvino (onnxruntime runs in f32)")
        return self
