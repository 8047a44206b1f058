"""``sitewatch train``: train, export and document a model (needs the ``train`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors


@app.command()
@report_user_errors
def train(
    data: Annotated[
        list[str],
        typer.Option(
            help="A YOLO data.yaml, optionally with a class mapping: PATH[:SRC=DST,...] (DST one of head, helmet, "
            "person; unmapped classes are dropped). Repeat to train on several data sets at once.",
        ),
    ],
    name: Annotated[str, typer.Option(help="Model name: models/NAME.onnx, models/NAME.md, checkpoints.")] = (
        "hardhat-yolo11n"
    ),
    model_yaml: Annotated[str, typer.Option(help="Ultralytics model YAML to build from scratch.")] = "yolo11n.yaml",
    imgsz: Annotated[int, typer.Option(min=64, max=2048, help="Training input size (px).")] = 416,
    epochs: Annotated[
        int | None,
        typer.Option(
            min=1, max=1000,
            help="Total epochs of the schedule (default: 20). With --resume: change the resumed schedule's length "
            "(the cosine learning rate follows the new length), e.g. to let it finish in the time at hand.",
        ),
    ] = None,
    close_mosaic: Annotated[
        int | None,
        typer.Option(min=0, max=1000, help="Last epochs trained without mosaic (default: 4; with --resume: as before)."),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=512)] = 16,
    device: Annotated[str, typer.Option(help="'cpu', a CUDA index such as '0', ...")] = "cpu",
    workers: Annotated[int, typer.Option(min=0, max=64, help="Data-loading processes (one per spare core).")] = 2,
    hours: Annotated[
        float | None,
        typer.Option(
            min=0.01, max=1000.0,
            help="Train for this long instead of --epochs: the epoch count is fitted to the time after the first "
            "epoch, so the learning rate still anneals and mosaic still closes (e.g. a GPU lease of fixed length).",
        ),
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            min=0, max=256, help="torch CPU threads; 0: every core. Use 1 while other work shares the CPU."
        ),
    ] = 0,
    init_from: Annotated[
        Path | None,
        typer.Option(
            help="Fine-tune: start a new schedule from these weights (a checkpoint of an earlier sitewatch run, "
            "e.g. models/checkpoints/NAME-last.pt), e.g. at a larger --imgsz or with --lookalikes.",
        ),
    ] = None,
    lr0: Annotated[
        float | None,
        typer.Option(min=1e-6, max=0.1, help="Initial learning rate (default: chosen by Ultralytics); lower it to fine-tune."),
    ] = None,
    freeze: Annotated[
        int,
        typer.Option(
            min=0, max=100,
            help="Fine-tune: keep the first N layers as they are (11: yolo11n's whole backbone), so a small set "
            "of your own photos adjusts the neck and head without unlearning the features. Needs --init-from.",
        ),
    ] = 0,
    lookalikes: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0,
            help="Share of train photos with traffic cones, lamp heads and balls drawn in as unlabelled background, "
            "so that they are not learnt as helmets (validation and test photos are left as they are).",
        ),
    ] = 0.0,
    far_field: Annotated[
        float,
        typer.Option(
            min=0.0, max=2.0,
            help="Far-field canvases added per train photo: 768x576 frames holding 2x2 to 4x4 shrunk train photos "
            "(half of them blurred and JPEG-compressed like CCTV), so heads are seen at site-camera size.",
        ),
    ] = 0.0,
    resume: Annotated[bool, typer.Option("--resume", help="Continue models/checkpoints/NAME-last.pt.")] = False,
    workdir: Annotated[Path, typer.Option(help="Scratch folder for runs and relabelled data.")] = Path("runs"),
    export_only: Annotated[
        bool, typer.Option("--export-only", help="Skip training: export the checkpoint's weights and write the card.")
    ] = False,
    export_imgsz: Annotated[
        int | None,
        typer.Option(
            min=64, max=2048,
            help="Input size written into the exported model: the size every command runs it at unless told "
            "otherwise (default: the training size). Choose it on valid: sitewatch eval images DATA --split valid "
            "--input-size N.",
        ),
    ] = None,
    eval_split: Annotated[str, typer.Option(help="Split of the first data set the card reports on.")] = "test",
    average: Annotated[
        list[Path] | None,
        typer.Option(
            help="Skip training: average the weights of these checkpoints (repeat, at least two, one architecture; "
            "e.g. the ends of two fine-tuning stages) into models/checkpoints/NAME-last.pt, then export and write "
            "the card. Choose between the average and its sources on valid.",
        ),
    ] = None,
) -> None:
    """Train a head/helmet/person detector from scratch, export ONNX and write its model card."""
    if init_from and resume:
        raise UserError("--init-from starts a new schedule and --resume continues one: give one of them")
    if average and (init_from or resume or export_only):
        raise UserError("--average makes a checkpoint without training: it goes with neither --init-from, --resume "
                        "nor --export-only")
    if hours is not None and (resume or export_only or average):
        raise UserError("--hours times a new schedule: it goes with neither --resume (use --epochs to re-plan one), "
                        "--export-only nor --average")
    if freeze and not init_from:
        raise UserError("--freeze keeps trained layers as they are: it needs --init-from (from scratch there is "
                        "nothing to keep; a resumed run keeps its own)")
    if average is not None and len(average) < 2:
        raise UserError("--average needs at least two checkpoints")
    for path in average or []:
        if not path.is_file():
            raise UserError(f"{path}: no such checkpoint to average")
    if init_from and not init_from.is_file():
        raise UserError(f"{init_from}: no such weights file to start from")
    from sitewatch.models.datasets import DataSource, read_data_yaml, read_sources

    try:
        sources = [DataSource.parse(spec) for spec in data]
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for source in sources:
        if not source.data_yaml.is_file():
            raise UserError(f"{source.data_yaml}: no such data.yaml")
    try:
        # Checked before anything is written under --workdir: training needs every
        # split folder and class mapping; the card (every mode) reads each data.yaml.
        for source in sources:
            read_data_yaml(source.data_yaml)
        if not (average or export_only):
            read_sources(sources)
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    # After the data checks, which need no extra: a bad data set is told first.
    try:
        import ultralytics  # noqa: F401
    except ImportError:
        raise UserError("training needs the train extra: pip install 'sitewatch[train]' (or make install-train)") from None
    from sitewatch.models.card import write_card
    from sitewatch.models.train import MODELS_DIR, TrainSettings, checkpoint_path, export_onnx, read_ledger
    from sitewatch.models.train import train as run_training

    settings = TrainSettings(
        name=name, model_yaml=model_yaml, imgsz=imgsz, batch=batch, device=device, torch_threads=threads,
        lookalikes=lookalikes, far_field=far_field, init_from=str(init_from) if init_from else None, lr0=lr0,
        workers=workers, hours=hours, freeze=freeze,
        **({"epochs": epochs} if epochs is not None else {}),
        **({"close_mosaic": close_mosaic} if close_mosaic is not None else {}),
    )
    try:
        if average:
            from sitewatch.models.average import average_into_checkpoint

            weights = average_into_checkpoint(name, average)
        elif export_only:
            weights = checkpoint_path(name)
            if not weights.exists():
                raise UserError(f"{weights}: no checkpoint to export")
        else:
            weights = run_training(
                sources, settings, workdir, resume=resume,
                resume_epochs=epochs if resume else None, resume_close_mosaic=close_mosaic if resume else None,
            )
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if export_imgsz is None:
        # The size the weights were trained at: this run's, or for --export-only
        # and --resume the one its ledger records.
        runs = read_ledger(name)
        trained_at = runs[-1]["settings"].get("imgsz") if runs and (export_only or resume or average) else None
        export_imgsz = trained_at or imgsz
    onnx_path = export_onnx(weights, MODELS_DIR / f"{name}.onnx", export_imgsz, workdir)
    card = write_card(onnx_path, sources, eval_split)
    typer.echo(f"model: {onnx_path}\nmodel card: {card}")
