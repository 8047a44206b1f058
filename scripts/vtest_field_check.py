#!/usr/bin/env python3
"""Field check of a model on the demo clip: boxes on look-alikes, events against people.

vtest.avi is a fixed camera, so its look-alikes stay put: four traffic cones
along the taped-off area, a yellow object and a white one on the lawn. This
counts, over every scored frame of a ``sitewatch score --detections`` run, the
``head``/``helmet`` boxes whose centre lies on one of them (a model that takes a
cone for a hard hat shows up here), and sets the run's ``no_helmet`` events
beside the people counted by hand in ``datasets/vtest-people.json``.

    sitewatch score .cache/demo/vtest.avi --out out/check --config examples/demo.yaml \
        --camera vtest --detections
    python scripts/vtest_field_check.py out/check

The run's boxes are the pipeline's: with the default config, boxes on places
learned as fixtures (after 20 s) and boxes whose track was never seen moving
are already dropped. To count the model's own boxes, score with a config that
sets ``fixtures: {enabled: false}`` and ``motion: {enabled: false}``.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
# [x1, y1, x2, y2] in 768x576 source pixels, drawn a few pixels wider than the objects.
LOOKALIKES: dict[str, list[int]] = json.loads((DATASETS / "vtest-lookalikes.json").read_text())["regions"]
PEOPLE = DATASETS / "vtest-people.json"


def inside(box: list, region: list[int]) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="output folder of sitewatch score ... --detections")
    parser.add_argument("--people", type=Path, default=PEOPLE, help="people counted by hand (JSON)")
    args = parser.parse_args()

    frames = 0
    per_class: Counter[str] = Counter()
    hit_frames: dict[str, list[int]] = {}  # "helmet on cone left" -> frames
    with open(args.run / "detections.jsonl") as lines:
        for line in lines:
            row = json.loads(line)
            frames += 1
            for box in row["boxes"]:
                cls = box[5]
                per_class[cls] += 1
                if cls not in ("head", "helmet"):
                    continue
                for name, region in LOOKALIKES.items():
                    if inside(box, region):
                        hit_frames.setdefault(f"{cls} on {name}", []).append(row["frame"])
    events = [json.loads(line) for line in open(args.run / "events.jsonl")]
    people = json.loads(args.people.read_text()) if args.people.exists() else None
    print(json.dumps({
        "frames_scored": frames,
        "boxes": dict(per_class),
        "lookalike_boxes": {k: len(v) for k, v in hit_frames.items()},
        "lookalike_frames": {k: v[:20] for k, v in hit_frames.items()},
        "no_helmet_events": sum(e["type"] == "no_helmet" for e in events),
        # Distinct people, and their appearances (most leave the picture and come back,
        # and each return after the rule's cooldown is a violation of its own).
        "people_counted": people and people["total"],
        "far_field_people": people and sum(p["far_field"] for p in people["people"]),
        "appearances": people and sum(len(p["intervals"]) for p in people["people"]),
    }, indent=1))


if __name__ == "__main__":
    main()
