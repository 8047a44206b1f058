#!/usr/bin/env python3
"""Record the shipped model's boxes on the demo clip, for the replay test of tracking and rules.

tests/sitewatch/test_vtest_replay.py replays these boxes through the demo
camera's pipeline (tracker, fixture filter, zones, rules) in a second instead
of running the model for minutes, and checks the events against the people
counted by hand. The boxes are the detector's own (after NMS, before any
pipeline step), scored as ``make demo`` scores the clip: every frame, the demo
camera's tiles and zoom. Re-record them whenever the shipped model changes (the
test checks the model's sha256):

    .venv/bin/python scripts/record_vtest_boxes.py

About 7 minutes on 2 cores. Writes gzip'd JSON lines: a header
``{"model_sha256", "model", "video", "camera", "tiles", "zoom", "frames"}``,
then per frame the line ``sitewatch score --detections`` writes, with no track
ids: ``{"source", "frame": i, "boxes": [[x1, y1, x2, y2, confidence, class_name, null], ...]}``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import cv2

from sitewatch.config import load_settings
from sitewatch.outputs import detections_line
from sitewatch.wiring import build_detector, camera_context, detector_settings

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "sitewatch" / "data" / "vtest-boxes.jsonl.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, default=REPO / ".cache" / "demo" / "vtest.avi")
    parser.add_argument("--config", type=Path, default=REPO / "examples" / "demo.yaml")
    parser.add_argument("--camera", default="vtest")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many frames (0: all)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    settings = load_settings(args.config)
    camera = camera_context(settings, args.camera).camera
    detector = build_detector(settings, camera=camera)
    tiling = detector_settings(settings, camera)
    capture = cv2.VideoCapture(str(args.video))
    if not capture.isOpened():
        sys.exit(f"cannot open {args.video} (make demo downloads it)")
    lines = []
    while not args.frames or len(lines) < args.frames:
        ok, image = capture.read()
        if not ok:
            break
        # The line `sitewatch score --detections` writes, for the untracked boxes.
        lines.append(detections_line(args.camera, len(lines), detector.detect(image)).rstrip("\n"))
    header = {
        "model_sha256": detector.model_sha256,
        "model": detector.model_name,
        "video": args.video.name,
        "camera": args.camera,
        "tiles": tiling.tiles,
        "zoom": tiling.zoom,
        "frames": len(lines),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # No name or time in the gzip header: the same boxes give the same bytes.
    with open(args.out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as fh:
        fh.write(("\n".join([json.dumps(header), *lines]) + "\n").encode())
    print(f"{len(lines)} frames -> {args.out}")


if __name__ == "__main__":
    main()
