"""Throughput of ``sitewatch score`` against Ultralytics ``track`` and the bare model.

    python bench/score_vs_ultralytics.py VIDEO [--model PATH] [--threads N]

All three runs use the same ONNX model, input size, video and frames (every
frame, tiling off, since Ultralytics does not tile), in one process run on one
machine, so the numbers compare. Prints one JSON line:

- ``sitewatch_fps``: frames scored per second by ``sitewatch score`` (decode,
  detect, track, rules, outputs; from its summary.json).
- ``ultralytics_fps``: frames per second of ``YOLO(model).track(video,
  tracker="bytetrack.yaml", stream=True)`` iterated to the end.
- ``raw_model_fps``: a bare ONNX Runtime session run on one input of the
  shape sitewatch feeds for this video (the long side at the model's size,
  the short side padded to the stride: 416x320 for 768x576), repeated - the
  model's own ceiling. Ultralytics' ``predict`` uses the same rectangle.
  Timed just before and just after the sitewatch run and averaged (both
  timings in ``raw_model_fps_before_after``), so drift during the run
  does not bias the share one way.
- ``ratio`` = sitewatch / ultralytics; ``model_share`` = sitewatch / raw model.
- ``sitewatch_events``: no_helmet events; ``ultralytics_tracks``: distinct
  track ids that were ever a ``head`` (the nearest Ultralytics notion of one
  alert per bare-headed worker).

Needs the ``train`` extra (Ultralytics) for the middle run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def sitewatch_run(video: Path, model: Path, out: Path) -> dict:
    cmd = [sys.executable, "-m", "sitewatch", "score", str(video), "--out", str(out), "--model", str(model),
           "--tiles", "off", "--quiet", "--start", "2026-05-04T10:00:00+00:00"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "summary.json").read_text())


def ultralytics_run(video: Path, model: Path, imgsz: int) -> tuple[float, int, int]:
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo-settings-"))
    from ultralytics import YOLO

    yolo = YOLO(str(model), task="detect")
    head_tracks: set[int] = set()
    frames = 0
    started = time.perf_counter()
    for result in yolo.track(str(video), tracker="bytetrack.yaml", imgsz=imgsz, stream=True, verbose=False):
        frames += 1
        boxes = result.boxes
        if boxes is not None and boxes.id is not None:
            heads = boxes.cls.numpy() == 0
            head_tracks.update(int(t) for t in boxes.id.numpy()[heads])
    elapsed = time.perf_counter() - started
    return frames / elapsed, len(head_tracks), frames


def input_shape(model: Path, video: Path) -> tuple[int, ...]:
    """The model input ``sitewatch score --tiles off`` feeds for this video's frames."""
    import cv2

    from sitewatch.detector import OnnxDetector

    cap = cv2.VideoCapture(str(video))
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"{video}: cannot read a frame")
    return OnnxDetector(model, tiles="off").prepare([frame]).blob.shape


def raw_model_fps(model: Path, shape: tuple[int, ...], threads: int, runs: int = 200) -> float:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    blob = np.random.default_rng(0).random(shape, dtype=np.float32)
    for _ in range(10):
        session.run(None, {name: blob})
    started = time.perf_counter()
    for _ in range(runs):
        session.run(None, {name: blob})
    return runs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped model)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    from sitewatch.detector import OnnxDetector
    from sitewatch.models import default_model_path

    model = args.model or default_model_path()
    imgsz = OnnxDetector(model).input_size
    # The bare session is timed on both sides of sitewatch's run and averaged
    # (this VM's speed drifts by a third within minutes; one timing on one side
    # biased model_share either way), and both before Ultralytics: once torch
    # is imported its idle OpenMP threads share the cores and slow any timing.
    shape = input_shape(model, args.video)
    raw_before = raw_model_fps(model, shape, args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        summary = sitewatch_run(args.video, model, Path(tmp))
    raw_after = raw_model_fps(model, shape, args.threads)
    raw = (raw_before + raw_after) / 2
    ultra_fps, ultra_tracks, ultra_frames = ultralytics_run(args.video, model, imgsz)
    sw = summary["fps"]
    print(json.dumps({
        "video": str(args.video),
        "model": model.name,
        "imgsz": imgsz,
        "input": list(shape),
        "frames": summary["frames_scored"],
        "ultralytics_frames": ultra_frames,
        "sitewatch_fps": round(sw, 2),
        "ultralytics_fps": round(ultra_fps, 2),
        "ratio": round(sw / ultra_fps, 3),
        "raw_model_fps": round(raw, 2),
        "raw_model_fps_before_after": [round(raw_before, 2), round(raw_after, 2)],
        "model_share": round(sw / raw, 3),
        "sitewatch_events": summary["events"].get("no_helmet", 0),
        "ultralytics_tracks": ultra_tracks,
    }))


if __name__ == "__main__":
    main()
