"""``sitewatch score``: batch-score recorded video into events with evidence."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from sitewatch.cli.app import app
from sitewatch.cli.errors import UserError, report_user_errors


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class TilesMode(StrEnum):
    auto = "auto"
    on = "on"
    off = "off"


# Exit code when every output was written but some video could not be decoded to
# the end: the events cover only what decoded, which a script must not take for
# the whole recording. Bad input refused up front exits 2 (EXIT_USER_ERROR).
EXIT_INCOMPLETE_INPUT = 3

START_HELP = (
    "Wall-clock time of the first frame, ISO 8601 (e.g. 2026-05-04T23:30:00+02:00). Without an offset it is "
    "read in the camera's site timezone (--config/--camera), else in this machine's timezone. "
    "Default: the file's modification time minus the video's duration (an NVR export is written when the "
    "recording ends)."
)


# Site schedules look a day back and about a year ahead of each frame: a --start
# near either end of the calendar (years 1 and 9999) would overflow that arithmetic.
START_YEARS = range(1900, 9000)


def parse_start(text: str, tz) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--start {text!r} is not an ISO 8601 date-time (e.g. 2026-05-04T23:30:00+02:00)") from None
    if value.year not in START_YEARS:
        raise UserError(
            f"--start {text!r} is out of range: give a time in the years {START_YEARS[0]} to {START_YEARS[-1]}"
        )
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def default_start(path: Path, duration_s: float) -> datetime:
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).astimezone()
    return mtime - timedelta(seconds=duration_s)


def unique_source_ids(paths: list[Path], camera: str | None) -> list[str]:
    if camera is not None:
        if len(paths) > 1:
            return [f"{camera}-{i + 1}" if i else camera for i in range(len(paths))]
        return [camera]
    seen: dict[str, int] = {}
    ids = []
    for path in paths:
        stem = path.stem or "video"
        seen[stem] = seen.get(stem, 0) + 1
        ids.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return ids


def with_engine(settings, backend: str | None, precision: str | None, streams: int | None = None):
    """``settings`` with the command line's engine choice over the config's, checked as the config is."""
    from pydantic import ValidationError

    from sitewatch.config.detector import DetectorSettings

    chosen = {
        k: v for k, v in (("backend", backend), ("precision", precision), ("streams", streams)) if v is not None
    }
    if not chosen:
        return settings
    try:
        detector = DetectorSettings.model_validate({**settings.detector.model_dump(), **chosen})
    except ValidationError as exc:
        raise UserError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    return settings.model_copy(update={"detector": detector})


@app.command()
@report_user_errors
def score(
    videos: Annotated[list[Path], typer.Argument(help="Recorded video files to score.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="Folder for events.jsonl, snapshots/ and summary.json.")],
    model: Annotated[
        Path | None, typer.Option(help="ONNX model. Default: the config's detector.model, else the model shipped with sitewatch.")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Site configuration YAML (rules, zones, sites).")] = None,
    camera: Annotated[
        str | None, typer.Option(help="Configured camera id the video comes from (its site, zones, hours).")
    ] = None,
    stride: Annotated[int, typer.Option(min=1, help="Score every Nth frame.")] = 1,
    start: Annotated[str | None, typer.Option(help=START_HELP, show_default=False)] = None,
    tiles: Annotated[
        TilesMode | None, typer.Option(help="Tiled detection for far-field cameras. Default: from config (auto).")
    ] = None,
    zoom: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            max=4.0,
            help="Enlarge frames by this factor before detection (far-field cameras, with tiles). "
            "Default: from config (1).",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        Literal["onnxruntime", "openvino"] | None,
        typer.Option(help="Engine that runs the model (openvino needs the 'openvino' extra). Default: from config."),
    ] = None,
    precision: Annotated[
        Literal["f32", "bf16"] | None,
        typer.Option(help="bf16 (openvino): compute in bfloat16 where the CPU does so natively. Default: from config."),
    ] = None,
    streams: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Frames the model scores at once, sharing its threads out (at most detector.threads). "
            "Default: from config, else one per thread (the most frames a second).",
            show_default=False,
        ),
    ] = None,
    annotate: Annotated[bool, typer.Option("--annotate", help="Also write annotated-<source>.mp4.")] = False,
    detections: Annotated[
        bool, typer.Option("--detections", help="Also write detections.jsonl (every box of every scored frame).")
    ] = False,
    formats: Annotated[
        list[OutputFormat] | None, typer.Option("--format", help="Extra event formats: csv writes events.csv too.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Also write the events to this store (sqlite:///FILE or postgresql://...), as the live service does.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no events table.")] = False,
) -> None:
    """Score recorded videos: deduplicated violation events with evidence snapshots."""
    from sitewatch.cli.store_options import open_store_or_fail, settings_with_db
    from sitewatch.wiring import build_detector, camera_context, make_pipeline_factory
    from sitewatch.scoring import ScoreOptions, VideoJob, score_videos, write_summary
    from sitewatch.streams.file import SourceError, probe

    if db is not None:
        # An empty or malformed --db is refused (as `keys` does) before any work, not skipped.
        from sitewatch.store import StoreUrlError, parse_url

        try:
            parse_url(db)
        except StoreUrlError as exc:
            raise UserError(str(exc)) from None
    settings = with_engine(settings_with_db(config, db), backend, precision, streams)
    context = camera_context(settings, camera)
    detector = build_detector(settings, model, tiles.value if tiles else None, context.camera, zoom, recorded=True)
    try:
        infos = [probe(p) for p in videos]
    except SourceError as exc:
        raise UserError(str(exc)) from None
    ids = unique_source_ids(list(videos), camera)
    jobs = []
    for path, info, source_id in zip(videos, infos, ids, strict=True):
        first = parse_start(start, context.timezone) if start else default_start(path, info.duration_s)
        jobs.append(VideoJob(path, source_id, first))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create the output folder: {exc.strerror or exc}") from None

    options = ScoreOptions(
        stride=stride,
        annotate=annotate,
        detections=detections,
        formats=frozenset({"jsonl", *(f.value for f in formats or [])}),
    )
    store = open_store_or_fail(settings) if db is not None else None
    sinks = [lambda changes: store.apply(changes, site_id=context.site_id)] if store else []
    try:
        if store is not None:
            store.sync_config(settings)
        with _progress_bar() as progress:
            result = score_videos(
                jobs, detector, make_pipeline_factory(settings, context), out, options, sinks=sinks, progress=progress
            )
    except SourceError as exc:
        raise UserError(str(exc)) from None
    finally:
        if store is not None:
            store.close()
    summary = result.summary(detector)
    write_summary(out, summary)
    _report(result.events, summary, out, quiet)
    incomplete = [v for v in result.videos if v.incomplete]
    for video in incomplete:
        print(
            f"warning: {video.path}: not read to the end (truncated or corrupt): {video.failed_frames} frames failed "
            f"to decode; its events cover the {video.frames_read} frames that did",
            file=sys.stderr,
        )
    if incomplete:
        raise typer.Exit(EXIT_INCOMPLETE_INPUT)


class _progress_bar:
    """A rich progress bar on a terminal; nothing when stderr is not a TTY."""

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        )
        self._progress.__enter__()

        def start(job, source):
            task = self._progress.add_task(job.source_id, total=source.info.frame_count or None)
            return lambda n: self._progress.advance(task, n)

        return start

    def __exit__(self, *exc):
        if sys.stderr.isatty():
            self._progress.__exit__(*exc)
        return False


def _report(events: list[dict], summary: dict, out: Path, quiet: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not quiet and events:
        table = Table(title=f"{len(events)} events")
        for column in ("source", "type", "start", "end", "track", "conf", "snapshot"):
            table.add_column(column)
        for e in events:
            table.add_row(
                e["source"], e["type"], e["start"], e["end"], str(e["track_id"] or "-"),
                f"{e['confidence']:.2f}", e["snapshot"] or "",
            )
        console.print(table)
    failed = f", {summary['failed_frames']} frames failed to decode" if summary["failed_frames"] else ""
    console.print(
        f"scored {summary['frames_scored']} of {summary['frames_read']} frames in {summary['wall_s']:.1f} s "
        f"({summary['fps']:.1f} frames/s){failed}; {len(events)} events -> {out}/events.jsonl"
    )
