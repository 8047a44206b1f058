"""``sitewatch quantize``: a faster INT8 copy of a detector, calibrated on training photos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors


@app.command()
@report_user_errors
def quantize(
    data: Annotated[
        Path, typer.Option(help="A YOLO data.yaml; its train split's photos calibrate the activations.")
    ],
    model: Annotated[Path | None, typer.Option(help="Float ONNX model (default: the shipped model).")] = None,
    out: Annotated[Path | None, typer.Option(help="Output (default: models/NAME-int8.onnx beside the model).")] = None,
    photos: Annotated[int, typer.Option(min=8, max=5000, help="Calibration photos, drawn at random (seed 0).")] = 128,
) -> None:
    """Write a static INT8 (QDQ) copy of a detector; choose between it and the float model on valid."""
    from sitewatch.detector import ModelError
    from sitewatch.models import default_model_path
    from sitewatch.models.datasets import read_data_yaml

    source = model or default_model_path()
    if not source.is_file():
        raise UserError(f"{source}: no such model")
    if not data.is_file():
        raise UserError(f"{data}: no such data.yaml")
    target = out or source.with_name(f"{source.stem}-int8.onnx")
    if target.resolve() == source.resolve():
        raise UserError(f"{target}: would overwrite the model it quantizes; give another --out")
    try:
        _, splits, _ = read_data_yaml(data)  # its messages name the file; it needs no extra
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    if "train" not in splits or not splits["train"].is_dir():
        raise UserError(f"{data}: no train split to calibrate on")
    try:
        from sitewatch.models.quantize import calibration_photos, quantize_model
    except ImportError:
        raise UserError("quantizing needs the train extra (onnx): pip install 'sitewatch[train]' "
                        "(or make install-train)") from None
    try:
        chosen = calibration_photos(splits["train"], photos)
        quantize_model(source, target, chosen)
    except (ModelError, ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    typer.echo(f"int8 model: {target} ({len(chosen)} calibration photos)")
