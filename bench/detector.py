"""What ``OnnxDetector.detect`` costs on top of the bare model.

    python bench/detector.py MODEL [--input-size N] [--tiles on|off] [--zoom Z] [--image PATH] [--frames N] [--threads N]
                             [--backend onnxruntime|openvino] [--precision f32|bf16] [--streams N]

Times, on one picture (a 768x576 synthetic frame unless ``--image``):

- ``session_ms``: the bare engine (ONNX Runtime's ``session.run``, or
  OpenVINO's request, with ``--backend openvino``) on the already
  preprocessed blob (the same inputs ``detect`` feeds the model: the
  whole-frame letterbox, plus the tiles when tiling); with ``--streams``
  above 1, the blob split over the streams as ``detect`` splits it
  (``OnnxDetector.run``);
- ``detect_ms``: the full ``det.detect(image)`` (letterbox / tiles, blob,
  run, decode, NMS or tile merge, mapping back);
- ``prepare_ms`` and ``postprocess_ms``: its two halves around the run;
- ``overhead_share``: (detect - session) / detect.

All per frame, medians over ``--frames`` rounds (the four take turns) after a
warm-up. Prints one
JSON object; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sitewatch.hardware import cpu_model

import cv2
import numpy as np

from sitewatch.detector import OnnxDetector

WARMUP = 3


def synthetic_frame(width: int = 768, height: int = 576) -> np.ndarray:
    """A deterministic stand-in for a site camera frame: gradient, noise, a few blocks."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(60, 180, width, dtype=np.float32)[None, :, None]
    frame = np.clip(ramp + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)
    for _ in range(12):
        x, y = int(rng.integers(0, width - 60)), int(rng.integers(0, height - 120))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(
            frame, (x, y), (x + int(rng.integers(10, 60)), y + int(rng.integers(20, 120))), colour, -1
        )
    return frame


def median_ms(actions: dict[str, Callable[[], object]], frames: int) -> dict[str, float]:
    """Median milliseconds of each action, taking turns frame by frame.

    Interleaving keeps the numbers comparable on a busy machine: a burst of
    load hits every action alike instead of whichever ran during it.
    """
    for _ in range(WARMUP):
        for action in actions.values():
            action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(frames):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--input-size", type=int, default=None)
    parser.add_argument("--tiles", choices=["on", "off"], default="off")
    parser.add_argument("--zoom", type=float, default=1.0, help="enlarge the frame before tiling (1-4)")
    parser.add_argument(
        "--image", type=Path, default=None, help="picture to score (default: synthetic 768x576)"
    )
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--confidence", type=float, default=0.25)
    parser.add_argument("--backend", choices=["onnxruntime", "openvino"], default="onnxruntime")
    parser.add_argument("--precision", choices=["f32", "bf16"], default="f32", help="bf16: openvino only")
    parser.add_argument("--streams", type=int, default=1, help="model runs at once (detector.streams)")
    args = parser.parse_args()

    if args.image is not None:
        image = cv2.imread(str(args.image), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"error: cannot read image {args.image}")
    else:
        image = synthetic_frame()
    det = OnnxDetector(
        args.model,
        input_size=args.input_size,
        tiles=args.tiles,
        threads=args.threads,
        confidence=args.confidence,
        zoom=args.zoom,
        backend=args.backend,
        precision=args.precision,
        streams=args.streams,
    )
    prepared = det.prepare([image])
    raw = det.run(prepared.blob)

    ms = median_ms(
        {
            "session": (lambda: det.run(prepared.blob)) if det.streams > 1 else lambda: det.runtime.run(prepared.blob),
            "detect": lambda: det.detect(image),
            "prepare": lambda: det.prepare([image]),
            "postprocess": lambda: det.postprocess(raw, prepared.plan),
        },
        args.frames,
    )

    print(
        json.dumps(
            {
                "model": det.model_name,
                "cpu": cpu_model(),
                "cpu_count": os.cpu_count(),
                "threads": args.threads,
                "streams": det.streams,
                "backend": det.backend,
                "precision": det.runtime.precision,
                "input_size": det.input_size,
                "image": f"{image.shape[1]}x{image.shape[0]}",
                "zoom": det.zoom,
                "tiled": bool(prepared.plan.frame_tiled[0]),
                "model_inputs_per_frame": len(prepared.blob),
                "detections": len(det.detect(image)),
                "frames": args.frames,
                **{f"{name}_ms": round(value, 3) for name, value in ms.items()},
                "overhead_share": round((ms["detect"] - ms["session"]) / ms["detect"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
