"""``sitewatch eval clips`` and ``sitewatch eval make-clips``: event-level accuracy of the whole pipeline.

``clips`` runs the same scoring code as ``sitewatch score`` on labelled clips
and reports what inspectors would get (event precision and recall, duplicate
alerts, time to alert); ``make-clips`` turns a labelled photo set into such
clips. Heavy imports happen when a command runs.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sitewatch.cli.app import eval_app
from sitewatch.cli.errors import UserError, report_user_errors

if TYPE_CHECKING:
    from sitewatch.evaluation.clips import ClipsEvaluation


@eval_app.command("clips")
@report_user_errors
def eval_clips(
    clips_dir: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="A labelled clip folder, or a folder of them.", show_default=False
        ),
    ],
    config: Annotated[
        Path | None, typer.Option(help="Configuration YAML: detector, tracker and rule settings to evaluate.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="ONNX model. Default: the config's, else the model shipped with sitewatch."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of tables.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write a Markdown report with timeline and summary charts into this folder."),
    ] = None,
    stride: Annotated[int, typer.Option(min=1, help="Score every Nth frame.")] = 1,
    keep: Annotated[
        Path | None,
        typer.Option(help="Keep each clip's pipeline output (events, snapshots, detections) in this folder."),
    ] = None,
) -> None:
    """Event-level precision, recall, duplicates and time to alert of the whole pipeline on labelled clips.

    A clip's own site (time zone, permitted hours) applies; everything else comes from --config.
    """
    from sitewatch.config import load_settings
    from sitewatch.evaluation.clips import check_video, evaluate_clips
    from sitewatch.evaluation.clips_format import ClipFormatError, find_clips, read_clip
    from sitewatch.wiring import build_detector

    if report is not None:
        _require_matplotlib()
    settings = load_settings(config)
    try:
        clips = [read_clip(folder) for folder in find_clips(clips_dir)]
        for clip in clips:
            check_video(clip)  # fail before a long run, not in the middle of it
    except ClipFormatError as exc:
        raise UserError(str(exc)) from None
    detector = build_detector(settings, model, recorded=True)
    try:
        with _work_dir(keep) as work, _progress(sys.stderr.isatty()) as on_progress:
            evaluation = evaluate_clips(clips, settings, detector, work, stride, on_progress)
    except ClipFormatError as exc:
        raise UserError(str(exc)) from None
    if report is not None:
        from sitewatch.evaluation.report import write_report

        try:
            page = write_report(evaluation, report)
        except OSError as exc:
            raise UserError(f"{report}: cannot write the report: {exc.strerror or exc}") from None
    if json_output:
        print(json.dumps(evaluation.as_dict()))
    else:
        _print_tables(evaluation)
        if report is not None:
            print(f"report: {page}")


@eval_app.command("make-clips")
@report_user_errors
def make_clips_command(
    data: Annotated[
        Path, typer.Argument(help="A YOLO data.yaml, or the folder that holds it.", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", help="New (or empty) folder for the clips.", show_default=False)
    ],
    split: Annotated[
        str, typer.Option(help="Split whose photos become clips: train, val (or valid), test.")
    ] = "test",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed makes the same clips.")] = 0,
    clips: Annotated[
        int | None, typer.Option(min=1, help="Make only this many clips. Default: until the photos run out.")
    ] = None,
    photos_per_clip: Annotated[int, typer.Option(min=1, help="Photos (cuts) per clip.")] = 8,
    seconds_per_photo: Annotated[float, typer.Option(min=0.2, help="How long each photo is held.")] = 6.0,
    fps: Annotated[float, typer.Option(min=1.0, max=60.0, help="Frames per second of the clips.")] = 5.0,
    size: Annotated[
        str,
        typer.Option(help="Frame size, WIDTHxHEIGHT (over 624 px, a 416 px model scores frames in tiles)."),
    ] = "576x432",
    out_of_hours_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of clips recorded outside the permitted hours.")
    ] = 0.4,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the clips' site.")] = "Europe/Berlin",
    video_format: Annotated[str, typer.Option(help="mp4 (MPEG-4 part 2) or avi (MJPG).")] = "mp4",
    config: Annotated[
        Path | None,
        typer.Option(help="Configuration YAML whose rule settings define the ground-truth episodes."),
    ] = None,
) -> None:
    """Make labelled clips from a labelled photo set: camera-like motion, cuts, exact labels, episodes."""
    from sitewatch.config import load_settings
    from sitewatch.evaluation.make_clips import ClipMakerError, ClipMakerOptions, make_clips
    from sitewatch.evaluation.yolo_dataset import DatasetError, load_split

    settings = load_settings(config)
    width, height = _parse_size(size)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"--out {out} exists and is not an empty folder; choose a new one")
    try:
        options = ClipMakerOptions(
            seed=seed,
            clips=clips,
            photos_per_clip=photos_per_clip,
            seconds_per_photo=seconds_per_photo,
            fps=fps,
            width=width,
            height=height,
            out_of_hours_share=out_of_hours_share,
            timezone=_check_zone(timezone),
            video_format=video_format,
            rules=settings.rules,
        )
        dataset = load_split(data, split)
        with _progress(sys.stderr.isatty(), "making clips") as on_progress:
            folders = make_clips(
                dataset,
                out,
                options,
                (lambda done, total: on_progress(done, total, "")) if on_progress else None,
            )
    except (ClipMakerError, DatasetError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"{out}: cannot write the clips: {exc.strerror or exc}") from None
    print(f"{len(folders)} clips -> {out}")


# -- helpers -----------------------------------------------------------------
def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError("--report needs matplotlib: pip install 'sitewatch[eval]'") from None


def _parse_size(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UserError(f"--size {text!r} is not WIDTHxHEIGHT (e.g. 640x480)")
    return int(parts[0]), int(parts[1])


def _check_zone(name: str) -> str:
    from sitewatch.config.sites import load_zone

    try:
        load_zone(name)
    except ValueError as exc:
        raise UserError(f"--timezone: {exc}") from None
    return name


class _work_dir:
    """``keep`` (created) when given, else a temporary folder removed afterwards."""

    def __init__(self, keep: Path | None):
        self.keep = keep
        self._temp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> Path:
        if self.keep is not None:
            try:
                self.keep.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError(f"--keep {self.keep}: cannot create it: {exc.strerror or exc}") from None
            return self.keep
        self._temp = tempfile.TemporaryDirectory(prefix="sitewatch-eval-clips-")
        return Path(self._temp.name)

    def __exit__(self, *exc) -> bool:
        if self._temp is not None:
            self._temp.cleanup()
        return False


class _progress:
    """A rich progress bar on stderr for a person watching; ``None`` (no bar) otherwise."""

    def __init__(self, enabled: bool, label: str = "clips"):
        self.enabled = enabled
        self.label = label

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._bar.__enter__()
        task = self._bar.add_task(self.label, total=None)

        def update(done: int, total: int, name: str) -> None:
            self._bar.update(task, completed=done, total=total, description=f"{self.label} {name}".strip())

        return update

    def __exit__(self, *exc) -> bool:
        if self.enabled:
            self._bar.__exit__(*exc)
        return False


def _print_tables(evaluation: ClipsEvaluation) -> None:
    from rich.console import Console
    from rich.table import Table

    from sitewatch.evaluation.formatting import fmt, rate_cells

    data = evaluation.as_dict()
    console = Console()
    counts = Table(title=f"{evaluation.model_name} on {len(evaluation.results)} clips: events")
    rates = Table(title="event-level rates (time to alert in seconds)")
    for header in ("type", "episodes", "events", "TP", "FP", "duplicates", "missed", "ignored"):
        counts.add_column(header, justify="left" if header == "type" else "right")
    for header in ("type", "precision", "recall", "F1", "alerts/ep", ">1 alert", "TTA med", "TTA p95"):
        rates.add_column(header, justify="left" if header == "type" else "right")
    for type_name in ("no_helmet", "out_of_hours"):
        m = data[type_name]
        counts.add_row(
            type_name,
            *(
                str(m[k])
                for k in (
                    "episodes",
                    "events",
                    "true_positives",
                    "false_positives",
                    "duplicates",
                    "missed",
                    "ignored",
                )
            ),
        )
        rates.add_row(type_name, *rate_cells(m))
    console.print(counts)
    console.print(rates)
    console.print("frame mAP50: " + ", ".join(f"{k} {fmt(v)}" for k, v in data["map50"].items()))
    per_clip = Table(title="per clip (TP/FP/duplicates/missed)")
    for header in ("clip", "start", "outside hours", "no_helmet", "out_of_hours", "mAP50"):
        per_clip.add_column(header)
    for row in data["clips"]:

        def tally(t: dict) -> str:
            return f"{t['true_positives']}/{t['false_positives']}/{t['duplicates']}/{t['missed']}"

        per_clip.add_row(
            row["clip"],
            row["start"][:16],
            "yes" if row["outside_permitted_hours"] else "no",
            tally(row["no_helmet"]),
            tally(row["out_of_hours"]),
            fmt(row["map50"]),
        )
    console.print(per_clip)
    console.print(f"model sha256 {evaluation.model_sha256}, on {evaluation.engine}")
