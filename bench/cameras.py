"""How many cameras at 1 frame/s one box sustains with the default model, no sampled frame dropped.

Each step runs the real service (readers, the one processing loop, shared
detector, rules, SQLite store; no API) with N cameras that each play the demo
clip as a looped live camera paced in real time (decoding every frame, as a
reader of an NVR substream does) and sample it at 1 fps. After a warm-up the
step counts, over ``--seconds``, the sampled frames each reader offered and the
ones it had to drop because the loop had not taken the previous one yet. N
grows until a step drops frames (or the loop is busy more than ``--max-busy``
of the time, i.e. about to fall behind); the answer is the last N that did not.

Run: ``.venv/bin/python bench/cameras.py [--video .cache/demo/vtest.avi] [--seconds 60] [--tiles off]
[--backend openvino [--precision bf16]] [--streams 2]``.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sitewatch.config import Settings
from sitewatch.config.cameras import CameraSettings
from sitewatch.config.detector import DetectorSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.config.store import StoreSettings
from sitewatch.models import default_model_path
from sitewatch.hardware import cpu_model
from sitewatch.service import Service

REPO = Path(__file__).resolve().parents[1]


def settings_for(n: int, video: Path, db_dir: Path, detector: DetectorSettings) -> Settings:
    site = SiteSettings(id="bench", name="bench", timezone="UTC")
    cameras = tuple(CameraSettings(id=f"cam{i:02d}", site="bench", url=str(video), fps=1.0) for i in range(n))
    store = StoreSettings(url=f"sqlite:///{db_dir / f'bench-{n}.db'}")
    return Settings(
        sites=(site,), cameras=cameras, store=store, detector=detector
    )


def counters(service: Service) -> dict[str, int]:
    stats = service.camera_stats()
    return {
        "sampled": sum(s["frames_sampled"] for s in stats),
        "drops": sum(s["drops"] for s in stats),
        "streaming": sum(s["state"] == "streaming" for s in stats),
    }


def run_step(n: int, video: Path, seconds: float, warmup: float, db_dir: Path, detector: DetectorSettings) -> dict:
    service = Service(settings_for(n, video, db_dir, detector), with_api=False).start()
    try:
        time.sleep(warmup)
        before, busy_before = counters(service), service.loop.stats.busy_s
        frames_before = service.loop.stats.frames
        began = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - began
        after, busy_after = counters(service), service.loop.stats.busy_s
        frames = service.loop.stats.frames - frames_before
    finally:
        service.stop()
    return {
        "cameras": n,
        "seconds": round(elapsed, 1),
        "streaming": after["streaming"],
        "sampled": after["sampled"] - before["sampled"],
        "scored": frames,
        "dropped": after["drops"] - before["drops"],
        "loop_busy": round((busy_after - busy_before) / elapsed, 3),
        "ms_per_frame": round(1000 * (busy_after - busy_before) / frames, 1) if frames else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=REPO / ".cache" / "demo" / "vtest.avi")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time per step")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured time at the start of a step")
    parser.add_argument(
        "--max-busy", type=float, default=0.9, help="loop busy fraction that counts as falling behind"
    )
    parser.add_argument(
        "--tiles", choices=("auto", "on", "off"), default="auto",
        help="detector.tiles; the default 'auto' tiles a 768x576 frame (2x2 tiles + the whole frame)",
    )
    parser.add_argument("--steps", default="1,2,3,4,6,8,10,12,16", help="camera counts to try, in order")
    parser.add_argument("--backend", choices=("onnxruntime", "openvino"), default="onnxruntime")
    parser.add_argument("--precision", choices=("f32", "bf16"), default="f32", help="bf16: openvino only")
    parser.add_argument(
        "--streams", type=int, default=None, help="detector.streams (default: the live default, one)"
    )
    args = parser.parse_args()
    detector = DetectorSettings(
        tiles=args.tiles, backend=args.backend, precision=args.precision, streams=args.streams
    )
    if not args.video.exists():
        raise SystemExit(f"{args.video}: no such video (make demo fetches it)")
    logging.basicConfig(level=logging.WARNING)
    steps, sustained = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.steps.split(",")):
            step = run_step(n, args.video, args.seconds, args.warmup, Path(tmp), detector)
            healthy = step["streaming"] == n and step["loop_busy"] <= args.max_busy
            step["ok"] = healthy and step["dropped"] == 0
            steps.append(step)
            print(json.dumps(step), flush=True, file=sys.stderr)
            if not step["ok"]:
                break
            sustained = n
    print(
        json.dumps(
            {
                "sustained_cameras_at_1fps": sustained,
                "model": default_model_path().name,
                "tiles": args.tiles,
                "backend": args.backend,
                "precision": args.precision,
                "streams": detector.streams_for(recorded=False),
                "video": str(args.video),
                "cpu": cpu_model(),
                "cores": os.cpu_count(),
                "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "steps": steps,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
