#!/usr/bin/env python3
"""Replay the pipeline on labelled clips with several out-of-hours rule settings.

The detector dominates the cost of ``sitewatch eval clips`` and its output does
not depend on the rule settings, so it runs once (its detections are cached in
CACHE) and each setting replays the same pipeline - tracker, zones, rules,
matching - on them. Choose settings on clips made from ``valid``, never ``test``.

    python scripts/out_of_hours_sweep.py out/clips-valid out/valid-dets.pkl \
        dropout_s=5 dropout_s=10 "dropout_s=10,min_confidence=0.3"

Prints one line per setting: out_of_hours precision, recall, and the clips
with missed episodes or false alarms.
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from pathlib import Path

from pydantic import ValidationError

from sitewatch.config import load_settings
from sitewatch.config.rules import OutOfHoursSettings
from sitewatch.evaluation.clips import evaluate_clips
from sitewatch.evaluation.clips_format import find_clips, read_clip
from sitewatch.wiring import build_detector


class RecordingDetector:
    """The real detector, keeping every result in call order."""

    def __init__(self, inner):
        self.inner, self.model_name, self.model_sha256 = inner, inner.model_name, inner.model_sha256
        self.engine = inner.engine
        self.results = []

    def detect(self, image):
        detections = self.inner.detect(image)
        self.results.append(detections)
        return detections


class ReplayDetector:
    """Hands back recorded results in the same order (clips and frames are read in a fixed order)."""

    def __init__(self, results, model_name: str, model_sha256: str):
        self.results, self.next, self.model_name, self.model_sha256 = results, 0, model_name, model_sha256
        self.engine = "replay"

    def detect(self, image):
        if self.next == len(self.results):
            raise SystemExit("the detections cache holds fewer frames than these clips: delete it and run again")
        detections = self.results[self.next]
        self.next += 1
        return detections


def parse_setting(text: str, base: OutOfHoursSettings) -> OutOfHoursSettings:
    """``base`` with ``key=value`` pairs applied, validated as a config file's would be (names, bounds)."""
    try:
        fields = dict(part.split("=", 1) for part in text.split(","))
        return OutOfHoursSettings.model_validate({**base.model_dump(), **fields})
    except (ValueError, ValidationError) as exc:
        raise SystemExit(f"{text}: not a valid out_of_hours setting: {exc}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", type=Path, help="folder of labelled clips")
    parser.add_argument("cache", type=Path, help="detections cache (written on the first run)")
    parser.add_argument("settings", nargs="+", help="key=value[,key=value] of rules.out_of_hours")
    args = parser.parse_args()
    base = load_settings(None)
    variants = [parse_setting(s, base.rules.out_of_hours) for s in args.settings]

    clips = [read_clip(folder) for folder in find_clips(args.clips)]
    if args.cache.exists():
        name, sha256, results = pickle.loads(args.cache.read_bytes())
    else:
        recorder = RecordingDetector(build_detector(base, None))
        with tempfile.TemporaryDirectory() as work:
            evaluate_clips(clips, base, recorder, Path(work))
        name, sha256, results = recorder.model_name, recorder.model_sha256, recorder.results
        args.cache.write_bytes(pickle.dumps((name, sha256, results)))

    for text, rule in zip(args.settings, variants):
        settings = base.model_copy(update={"rules": base.rules.model_copy(update={"out_of_hours": rule})})
        with tempfile.TemporaryDirectory() as work:
            summary = evaluate_clips(clips, settings, ReplayDetector(results, name, sha256), Path(work)).as_dict()
        ooh = summary["out_of_hours"]
        missed = [r["clip"] for r in summary["clips"] if r["out_of_hours"]["missed"]]
        false_alarms = [r["clip"] for r in summary["clips"] if r["out_of_hours"]["false_positives"]]
        print(
            f"{text}: precision {ooh['precision']} recall {ooh['recall']} "
            f"({ooh['true_positives']}/{ooh['episodes']}), missed in {missed}, false alarms in {false_alarms}",
            flush=True,
        )


if __name__ == "__main__":
    main()
