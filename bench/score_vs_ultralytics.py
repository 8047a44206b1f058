"""Throughput of ``sitewatch score`` against Ultralytics ``track`` and the bare model.

    python bench/score_vs_ultralytics.py VIDEO [--model PATH] [--threads N] [--streams N]

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
  Timed before and after each sitewatch run (``--rounds`` runs, interleaved:
  bare, sitewatch, bare, sitewatch, ..., bare), so that each sitewatch run has
  the bare model's speed on both sides of it.
- ``ratio`` = sitewatch / ultralytics; ``model_share``: the median over the
  rounds of sitewatch's fps over the mean of the two bare timings around it
  (each round's share in ``model_share_rounds``). ``sitewatch_fps`` and
  ``raw_model_fps`` are medians over the rounds and the bare timings.
- ``model_share_interleaved``: the same share measured without drift: the
  engine behind ``sitewatch score`` (``score_videos``, same settings, in this
  process) scores the video in blocks of ``--block`` frames, and after each
  block the bare session runs as many times on the same input; the median of
  the blocks' (bare time / sitewatch time) pairs, each pair a second or two
  apart. While a bare block runs, the decode thread fills its 4-frame queue,
  so up to 4 frames' decoding of a block falls in the bare block (about 1 %
  of a 20-frame block at this size, in sitewatch's favour). Frames in the
  detector at a block's end (several streams) are finished inside the
  block's time, and no new one starts until the bare block is over
  (``PausableDetector``).
- ``streams``: the model runs sitewatch keeps going at once (``--streams``,
  default one per thread, as ``sitewatch score`` does). With more than one,
  the bare model is also timed that way: ``raw_model_streams_fps`` (the
  same session shape sitewatch uses, ``streams`` threads calling it at once)
  and, interleaved, ``model_share_interleaved_streams`` (sitewatch over that
  bare run). ``model_share*`` keep comparing with the one-run-at-a-time
  session on every thread, the model's speed as it is usually timed.
- ``sitewatch_events``: no_helmet events; ``ultralytics_tracks``: distinct
  track ids that were ever a ``head`` (the nearest Ultralytics notion of one
  alert per bare-headed worker).

Needs the ``train`` extra (Ultralytics) for the middle run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


def sitewatch_run(video: Path, model: Path, out: Path, threads: int, streams: int) -> dict:
    config = out / "bench.yaml"
    config.write_text(f"detector:\n  threads: {threads}\n  streams: {streams}\n")
    cmd = [sys.executable, "-m", "sitewatch", "score", str(video), "--out", str(out), "--model", str(model),
           "--config", str(config), "--tiles", "off", "--quiet", "--start", "2026-05-04T10:00:00+00:00"]
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


def bare_session(model: Path, threads: int):
    """The ONNX Runtime session the detector itself would open (``OrtRuntime``), ``threads`` threads a run."""
    from sitewatch.detector.runtime_ort import OrtRuntime

    return OrtRuntime(model.read_bytes(), str(model), threads=threads).session


def bare_runs(session, blob: np.ndarray, runs: int, streams: int = 1) -> float:
    """Seconds for ``runs`` runs of ``session`` on ``blob``, ``streams`` of them at once."""
    name = session.get_inputs()[0].name
    if streams == 1:
        started = time.perf_counter()
        for _ in range(runs):
            session.run(None, {name: blob})
        return time.perf_counter() - started
    share = [runs // streams + (i < runs % streams) for i in range(streams)]
    with ThreadPoolExecutor(streams) as pool:
        started = time.perf_counter()
        list(pool.map(lambda n: [session.run(None, {name: blob}) for _ in range(n)], share))
        return time.perf_counter() - started


def raw_model_fps(model: Path, shape: tuple[int, ...], threads: int, streams: int = 1, runs: int = 200) -> float:
    session = bare_session(model, max(1, threads // streams))
    blob = np.random.default_rng(0).random(shape, dtype=np.float32)
    bare_runs(session, blob, 10, streams)
    return runs / bare_runs(session, blob, runs, streams)


class PausableDetector:
    """The detector, with a gate the interleaved measurement closes around each bare block.

    With several streams, ``score_videos`` keeps frames in the detector while
    it handles the ones before them, so at a block's end some detections are
    still running; left alone, they would share the cores with the bare
    block (slowing it) and be done when the next block starts (speeding that
    one up), both in sitewatch's favour. ``pause`` stops new detections from
    starting and waits for the running ones, and is timed as part of the
    block that ends; the frames left waiting start when ``resume`` is called.
    """

    def __init__(self, detector) -> None:
        self.detector = detector
        self.model_name, self.model_sha256 = detector.model_name, detector.model_sha256
        self.engine, self.streams = detector.engine, detector.streams
        self._state = threading.Condition()
        self._open = True
        self._running = 0

    def detect(self, image):
        with self._state:
            self._state.wait_for(lambda: self._open)
            self._running += 1
        try:
            return self.detector.detect(image)
        finally:
            with self._state:
                self._running -= 1
                self._state.notify_all()

    def pause(self) -> None:
        with self._state:
            self._open = False
            self._state.wait_for(lambda: self._running == 0)

    def resume(self) -> None:
        with self._state:
            self._open = True
            self._state.notify_all()


def interleaved_share(
    video: Path, model: Path, shape: tuple[int, ...], threads: int, streams: int, block: int
) -> dict:
    """sitewatch's scoring loop and the bare model in alternating blocks of ``block`` frames (see above)."""
    from datetime import UTC, datetime

    from sitewatch.config import Settings
    from sitewatch.scoring import ScoreOptions, VideoJob, score_videos
    from sitewatch.wiring import build_detector, camera_context, make_pipeline_factory

    settings = Settings(detector={"threads": threads, "streams": streams})
    built = build_detector(settings, model, "off", recorded=True)
    own = built.runtime.session  # the bare ONNX Runtime session under the detector
    detector = PausableDetector(built)
    every_thread = own if streams == 1 else bare_session(model, threads)
    blob = np.random.default_rng(0).random(shape, dtype=np.float32)
    bare_runs(every_thread, blob, 10)
    bare_runs(own, blob, 10, streams)
    pairs: list[tuple[float, float]] = []
    streamed: list[float] = []  # bare time of each block, `streams` runs at once
    clock = {"since": 0.0, "frames": 0}

    def bare_block() -> float:
        if streams > 1:
            streamed.append(bare_runs(own, blob, block, streams))
        return bare_runs(every_thread, blob, block)

    def progress(job, source):
        clock["since"] = time.perf_counter()

        def advance(frames: int) -> None:
            clock["frames"] += frames
            if clock["frames"] % block:
                return
            detector.pause()
            scored = time.perf_counter() - clock["since"]
            pairs.append((bare_block(), scored))
            clock["since"] = time.perf_counter()
            detector.resume()

        return advance

    start = datetime(2026, 5, 4, 10, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        score_videos([VideoJob(video, "bench", start)], detector, make_pipeline_factory(settings, camera_context(settings, None)),
                     Path(tmp), ScoreOptions(), progress=progress)
    if not pairs:
        raise SystemExit(f"{video}: shorter than one block of {block} frames; pass a smaller --block")
    shares = sorted(bare / scored for bare, scored in pairs)
    streamed_shares = {}
    if streamed:
        streamed_shares = {
            "model_share_interleaved_streams": round(
                statistics.median(bare / scored for bare, (_, scored) in zip(streamed, pairs, strict=True)), 3
            ),
            "interleaved_bare_streams_ms": round(1e3 * statistics.median(streamed) / block, 2),
        }
    return {
        "model_share_interleaved": round(statistics.median(shares), 3),
        "model_share_interleaved_iqr": [round(shares[len(shares) // 4], 3), round(shares[(3 * len(shares)) // 4], 3)],
        "interleaved_blocks": len(pairs),
        "interleaved_sitewatch_ms": round(1e3 * statistics.median(s for _, s in pairs) / block, 2),
        "interleaved_bare_ms": round(1e3 * statistics.median(b for b, _ in pairs) / block, 2),
        **streamed_shares,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path)
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the shipped model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--streams", type=int, default=None, help="model runs at once (default: one per thread)")
    parser.add_argument("--rounds", type=int, default=3, help="sitewatch runs, each between two bare timings")
    parser.add_argument("--block", type=int, default=20, help="frames per block of the interleaved measurement")
    args = parser.parse_args()

    from sitewatch.detector import OnnxDetector
    from sitewatch.models import default_model_path

    model = args.model or default_model_path()
    streams = args.streams or args.threads
    imgsz = OnnxDetector(model).input_size
    # The bare session is timed on both sides of every sitewatch run (this VM's
    # speed drifts by a third within minutes: a single timing on one side
    # biased model_share either way, and one pair of timings still left a
    # single run at the mercy of a slow minute), and all before Ultralytics:
    # once torch is imported its idle OpenMP threads share the cores and slow
    # any timing.
    shape = input_shape(model, args.video)
    raws = [raw_model_fps(model, shape, args.threads)]
    summaries = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            summaries.append(sitewatch_run(args.video, model, Path(tmp), args.threads, streams))
        raws.append(raw_model_fps(model, shape, args.threads))
    shares = [s["fps"] / ((raws[i] + raws[i + 1]) / 2) for i, s in enumerate(summaries)]
    raw_streams = raw_model_fps(model, shape, args.threads, streams) if streams > 1 else None
    interleaved = interleaved_share(args.video, model, shape, args.threads, streams, args.block)
    summary = summaries[-1]
    raw = statistics.median(raws)
    ultra_fps, ultra_tracks, ultra_frames = ultralytics_run(args.video, model, imgsz)
    sw = statistics.median(s["fps"] for s in summaries)
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
        "raw_model_fps_rounds": [round(r, 2) for r in raws],
        "streams": streams,
        **({"raw_model_streams_fps": round(raw_streams, 2)} if raw_streams else {}),
        "sitewatch_fps_rounds": [round(s["fps"], 2) for s in summaries],
        "model_share": round(statistics.median(shares), 3),
        "model_share_rounds": [round(x, 3) for x in shares],
        **interleaved,
        "sitewatch_events": summary["events"].get("no_helmet", 0),
        "ultralytics_tracks": ultra_tracks,
    }))


if __name__ == "__main__":
    main()
