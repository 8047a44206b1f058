"""Model cards: what a model file is, what it was trained on, and how well it does.

The accuracy section is produced by running ``sitewatch eval images`` on the
model (the project's own ONNX Runtime detector and evaluator), so the card
states exactly the figures that command prints.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

from sitewatch.models.datasets import SITEWATCH_CLASSES, DataSource, photos_in, read_data_yaml
from sitewatch.models.train import read_ledger


# Everything below this line in a card is written by people (field checks,
# inspected results, choices and why) and survives a rewrite of the card.
NOTES_MARKER = "<!-- Written by hand below: kept when the card is regenerated. -->"


def kept_notes(card: Path) -> str:
    """The hand-written part of an existing card (after ``NOTES_MARKER``), or ''."""
    if not card.exists():
        return ""
    _, marker, notes = card.read_text().partition(NOTES_MARKER)
    return notes.strip() if marker else ""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split_sizes(source: DataSource) -> dict[str, int]:
    _, splits, _ = read_data_yaml(source.data_yaml)
    return {
        split: len(photos_in(folder))
        for split, folder in splits.items()
        if folder.is_dir()
    }


def measure(model: Path, data_yaml: Path, split: str) -> dict:
    """Run ``sitewatch eval images`` on ``model`` and return its JSON output."""
    cmd = [sys.executable, "-m", "sitewatch", "eval", "images", str(data_yaml), "--split", split,
           "--model", str(model), "--json"]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def accuracy_table(metrics: dict) -> str:
    rows = ["| metric | " + " | ".join([*SITEWATCH_CLASSES, "all"]) + " |", "|---|" + "---|" * 4]
    for key in ("map50", "map50_95", "precision", "recall"):
        per_class = metrics.get(key, {})
        rows.append(f"| {key} | " + " | ".join(_fmt(per_class.get(c, "-")) for c in [*SITEWATCH_CLASSES, "all"]) + " |")
    return "\n".join(rows)


def _opens_stage(index: int, run: dict) -> bool:
    """The first run, every run that starts from earlier weights (fine-tuning) and every average opens a stage."""
    return index == 0 or bool(run.get("init_from")) or run.get("kind") == "average"


def _averaged_from(run: dict) -> str:
    sources = ", ".join(f"{Path(r['weights']).name} ({r['sha256'][:12]})" for r in run.get("averaged", []))
    return f"mean of the weights of {sources}"


def _started_from(start: dict | None) -> str:
    if not start:
        return "scratch"
    if start.get("epochs"):
        return f"{start['epochs']} epochs at {start['imgsz']} px"
    # An average (or any checkpoint that records no epochs): name the file.
    return f"{Path(start['weights']).name} ({start['sha256'][:12]})"


def training_stages(runs: Sequence[dict]) -> list[dict]:
    """Group ledger runs into schedules: a run that starts from earlier weights (fine-tuning) opens a stage.

    Each stage: where it started, its input size, learning rate, look-alike
    share, far-field canvases per train photo, the epochs its schedule planned and the epochs it finished.
    """
    stages: list[dict] = []
    for index, run in enumerate(runs):
        settings = run.get("settings", {})
        if run.get("kind") == "average":
            stages.append({"start": _averaged_from(run), "imgsz": "-", "lr0": "-", "lookalikes": None,
                           "far_field": None, "epochs_done": 0, "planned": 0, "average": True})
            continue
        if _opens_stage(index, run):
            start = run.get("init_from")
            stages.append({
                "start": _started_from(start),
                "imgsz": settings.get("imgsz", "?"),
                "lr0": settings.get("lr0") or "auto",
                "lookalikes": float(settings.get("lookalikes", 0.0)),
                "far_field": float(settings.get("far_field", 0.0)),
                "epochs_done": 0,
            })
        stage = stages[-1]
        stage["planned"] = run.get("epochs_planned") or settings.get("epochs", "?")
        stage["hours"] = settings.get("hours")
        stage["epochs_done"] = max([stage["epochs_done"], *run.get("epochs_done", [])])
    return stages


def model_input_size(onnx_path: Path) -> int | str:
    """The default input size an ONNX model states in its metadata (``imgsz``), or '?'."""
    import onnxruntime as ort

    from sitewatch.detector.onnx import metadata_input_size

    meta = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).get_modelmeta()
    size = metadata_input_size(meta.custom_metadata_map)
    return "?" if size is None else size


def write_card(
    onnx_path: Path,
    sources: Sequence[DataSource],
    split: str = "test",
    metrics: dict | None = None,
    notes: str = "",
) -> Path:
    """Write ``<model>.md`` beside ``onnx_path`` and return its path.

    The measured part is generated; ``notes``, or else the hand-written part of
    the card already there, follows ``NOTES_MARKER`` unchanged.
    """
    name = onnx_path.stem
    card = onnx_path.with_suffix(".md")
    notes = notes or kept_notes(card)
    runs = read_ledger(name)
    stages = training_stages(runs)
    settings = runs[-1]["settings"] if runs else {}
    epochs_done = sum(stage["epochs_done"] for stage in stages)
    seconds = sum(r.get("seconds", 0.0) for r in runs)
    if metrics is None and sources:
        metrics = measure(onnx_path, sources[0].data_yaml, split)
    data_lines = []
    for source in sources:
        sizes = split_sizes(source)
        mapping = ", ".join(f"{k}->{v}" for k, v in source.class_map.items()) or "classes as named"
        data_lines.append(
            f"- `{source.data_yaml.parent.name}`: "
            + ", ".join(f"{k} {v:,}" for k, v in sizes.items())
            + f" images ({mapping})"
        )
    run_stage = list(accumulate(int(_opens_stage(i, r)) for i, r in enumerate(runs)))
    run_lines = [
        f"| {i + 1} | {run_stage[i]} | {r['started']} | {r.get('hardware', '?')} | "
        + ("average" if r.get("kind") == "average"
           else f"{min(r['epochs_done'], default='-')}-{max(r['epochs_done'], default='-')}")
        + f" | {r.get('seconds', 0) / 3600:.2f} h | {'yes' if r.get('resumed') else 'no'} |"
        for i, r in enumerate(runs)
    ]
    last = stages[-1] if stages else {"epochs_done": 0, "planned": "?"}
    if last.get("average") or (last["epochs_done"] and last["epochs_done"] == last["planned"]):
        status = "final"
    elif last.get("hours") and last["epochs_done"]:
        # A time-bounded run ends when its time does, not at a planned epoch:
        # it is finished, and the card says how far its fitted schedule got.
        status = (f"final: a time-bounded stage ({last['hours']} h), {last['epochs_done']} of the "
                  f"{last['planned']} epochs fitted to its time")
    else:
        status = f"**interim**: {last['epochs_done']} of {last['planned']} epochs of the last stage"
    stage_lines = [
        f"| {i + 1} | {st['start']} | {st['imgsz']} | "
        f"{'-' if st.get('average') else str(st['epochs_done']) + ' of ' + str(st['planned'])} | "
        f"{st['lr0']} | {'-' if st['lookalikes'] is None else format(st['lookalikes'], '.0%')} | "
        f"{'-' if st['far_field'] is None else format(st['far_field'], 'g')} |"
        for i, st in enumerate(stages)
    ]
    inference_size = model_input_size(onnx_path)
    text = f"""# Model card: {name}

- File: `{onnx_path.name}` ({onnx_path.stat().st_size / 1e6:.1f} MB), sha256 `{sha256_of(onnx_path)}`
- Status: {status}
- Task: object detection, classes `head` (bare head: the violation), `helmet` (hard hat worn), `person`
- Architecture: `{settings.get('model_yaml', '?')}` built from scratch (no pretrained weights), Ultralytics
- Input: {inference_size} x {inference_size} px RGB by default (the `imgsz` in its metadata; trained at
  {settings.get('imgsz', '?')} px), letterboxed; ONNX (opset 17) with dynamic batch/height/width and the class
  names in its metadata
- License: AGPL-3.0 (trained with Ultralytics, AGPL-3.0)
- Card written: {datetime.now(UTC).isoformat(timespec='seconds')}

## Data

{chr(10).join(data_lines) or '- (unknown)'}

Trained on `train`, checkpoint selected on `valid`, accuracy reported on `{split}` (never tuned on it).
See `datasets/README.md` for the data set and for training on your own site's images.

## Training

| stage | started from | input size | epochs | lr0 | photos with look-alikes drawn in | far-field canvases per photo |
|---|---|---|---|---|---|---|
{chr(10).join(stage_lines)}

Settings of the last run: `{json.dumps({k: v for k, v in settings.items() if k != 'extra'})}`

| run | stage | started (UTC) | hardware | epochs of its stage | wall time | resumed |
|---|---|---|---|---|---|---|
{chr(10).join(run_lines)}

Total training time: {seconds / 3600:.2f} h for {epochs_done} epochs.

## Accuracy on `{split}` ({metrics.get('images', '?') if metrics else '?'} images)

Measured with `sitewatch eval images <data> --split {split} --model models/{onnx_path.name} --json`
(the project's own ONNX Runtime detector, COCO-style AP):

{accuracy_table(metrics) if metrics else '(not measured)'}

{NOTES_MARKER}

{notes}
"""
    card.write_text(text.rstrip() + "\n")
    return card
