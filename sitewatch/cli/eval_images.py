"""``sitewatch eval images``: image-level mAP of the detector on a YOLO-format split.

The evaluation code (OpenCV, faster-coco-eval) is imported when the command
runs, not when the CLI starts, so that other commands do not pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from sitewatch.cli.app import eval_app
from sitewatch.cli.errors import UserError, report_user_errors
from sitewatch.evaluation.defaults import DEFAULT_MAX_DET, EVAL_CONFIDENCE, EVAL_NMS_IOU
from sitewatch.evaluation.formatting import fmt

if TYPE_CHECKING:
    from rich.table import Table

    from sitewatch.evaluation.coco import DetectionMetrics


def _load_detector(
    model: Path,
    input_size: int | None,
    conf: float,
    iou: float,
    threads: int,
    multi_label: bool,
    backend: str = "onnxruntime",
    precision: str = "f32",
):
    from sitewatch.detector import ModelError, OnnxDetector
    from sitewatch.evaluation.multilabel import MultiLabelDetector

    try:
        # Tiling stays off: the images are labelled at their own scale, as Ultralytics val sees them.
        detector = OnnxDetector(
            model,
            input_size=input_size,
            confidence=conf,
            iou=iou,
            threads=threads,
            streams=threads,  # a batch job: one photo per thread in the model, the most photos a second
            tiles="off",
            backend=backend,
            precision=precision,
        )
    except (ModelError, ValueError) as exc:
        raise UserError(str(exc)) from None
    return MultiLabelDetector(detector) if multi_label else detector


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    # A bar only for a person watching: piped or logged output stays clean.
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)



def _table(model_name: str, split_name: str, metrics: DetectionMetrics) -> Table:
    from rich.table import Table

    from sitewatch.evaluation.coco import ALL

    table = Table(title=f"{model_name} on {split_name}: {metrics.images} images")
    for header in ("class", "boxes", "mAP50", "mAP50-95", "precision", "recall"):
        table.add_column(header, justify="left" if header == "class" else "right")
    for name in (*metrics.class_names, ALL):
        boxes = sum(metrics.instances.values()) if name == ALL else metrics.instances[name]
        table.add_row(
            name,
            str(boxes),
            fmt(metrics.map50[name]),
            fmt(metrics.map50_95[name]),
            fmt(metrics.precision[name]),
            fmt(metrics.recall[name]),
        )
    if metrics.confidence is not None:
        table.caption = f"P and R at conf {metrics.confidence:.3f}: best mean F1, IoU 0.5"
    return table


@eval_app.command("images")
@report_user_errors
def eval_images(
    data: Annotated[Path, typer.Argument(help="A YOLO data.yaml, or the folder that holds it.")],
    split: Annotated[str, typer.Option(help="Split to evaluate: train, val (or valid), test.")] = "test",
    model: Annotated[
        Path | None, typer.Option(help="ONNX model file. Default: the model shipped with sitewatch.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    input_size: Annotated[
        int | None, typer.Option(min=32, help="Model input size in pixels. Default: the model's own.")
    ] = None,
    conf: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Confidence threshold; keep it low for AP.")
    ] = EVAL_CONFIDENCE,
    iou: Annotated[float, typer.Option(min=0.0, max=1.0, help="NMS IoU threshold.")] = EVAL_NMS_IOU,
    max_det: Annotated[int, typer.Option(min=1, help="Predictions per image that count.")] = DEFAULT_MAX_DET,
    multi_label: Annotated[
        bool,
        typer.Option(
            "--multi-label/--single-label",
            help="Keep every class above --conf per box, as Ultralytics val does (default), "
            "or only the best class, as the live pipeline does.",
        ),
    ] = True,
    threads: Annotated[int, typer.Option(min=1, help="Threads the model runs on, one photo each at once.")] = 2,
    backend: Annotated[
        Literal["onnxruntime", "openvino"], typer.Option(help="Engine that runs the model (openvino needs the 'openvino' extra).")
    ] = "onnxruntime",
    precision: Annotated[
        Literal["f32", "bf16"], typer.Option(help="bf16: OpenVINO computes in bfloat16 where the CPU does so natively.")
    ] = "f32",
    far_field: Annotated[
        int | None,
        typer.Option(
            min=2, max=8,
            help="Far-field measure: shrink the split's photos K x K at a time into 768x576 canvases (in file "
            "order, no randomness), so heads come out at site-camera size, and score those canvases.",
        ),
    ] = None,
) -> None:
    """COCO-style mAP50, mAP50-95, precision and recall of the detector on one split of a YOLO data set.

    Precision and recall are taken at IoU 0.5 and at the confidence threshold
    that maximises the mean F1 over classes (as Ultralytics reports them). By
    default every class above --conf counts per box (multi-label, as Ultralytics
    val); --single-label scores what the live pipeline keeps, the best class.
    """
    from sitewatch.evaluation.yolo_dataset import DatasetError, load_split

    if model is None:
        from sitewatch.models import default_model_path

        model = default_model_path()
    try:
        dataset = load_split(data, split)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    detector = _load_detector(model, input_size, conf, iou, threads, multi_label, backend, precision)
    with _far_field_split(dataset, far_field) as dataset:
        _evaluate_and_print(detector, dataset, model, max_det, json_output, far_field)


@contextmanager
def _far_field_split(dataset, grid: int | None):
    """The split itself, or (with ``grid``) its photos shrunk into far-field canvases in a scratch folder."""
    if grid is None:
        yield dataset
        return
    import tempfile

    import yaml

    from sitewatch.evaluation.yolo_dataset import label_path_for, load_split
    from sitewatch.models.far_field import write_evaluation_grids

    with tempfile.TemporaryDirectory(prefix="sitewatch-far-field-") as scratch:
        root = Path(scratch)
        pairs = [(image, label_path_for(image)) for image in dataset.images]
        if not write_evaluation_grids(pairs, root / dataset.split, grid):
            raise UserError(f"{dataset.data_yaml}: no readable image in split {dataset.split!r}")
        spec = {"path": ".", dataset.split: f"{dataset.split}/images", "names": list(dataset.class_names)}
        (root / "data.yaml").write_text(yaml.safe_dump(spec))
        yield load_split(root, dataset.split)


def _evaluate_and_print(detector, dataset, model: Path, max_det: int, json_output: bool, far_field: int | None):
    from sitewatch.evaluation.images import evaluate_images
    from sitewatch.evaluation.yolo_dataset import DatasetError

    show_progress = sys.stderr.isatty()  # the bar goes to stderr, so --json output stays clean
    try:
        with _progress(show_progress, f"{model.name} on {dataset.split}") as on_progress:
            metrics = evaluate_images(detector, dataset, max_det=max_det, on_progress=on_progress)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    extra = {} if far_field is None else {"far_field": far_field}
    if json_output:
        print(json.dumps({"model": model.name, "engine": detector.engine, **extra, **metrics.as_dict()}))
    else:
        from rich.console import Console

        where = f"{dataset.data_yaml.parent.name}/{dataset.split}"
        if far_field is not None:
            where = f"{dataset.split}, photos shrunk {far_field}x{far_field} into 768x576 canvases"
        Console().print(_table(f"{model.name} ({detector.engine})", where, metrics))
