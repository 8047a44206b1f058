"""``sitewatch score`` end to end: its files, its options and its bad-input errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sitewatch.cli import app

from testdata import TINY_MODEL
START = "2026-05-04T23:30:00+02:00"
runner = CliRunner()


def score(*args: str):
    return runner.invoke(app, ["score", *map(str, args)])


def test_writes_events_summary_detections_csv_and_video(small_video, tmp_path):
    out = tmp_path / "out"
    result = score(small_video, "--out", out, "--model", TINY_MODEL, "--start", START, "--stride", "2",
                   "--detections", "--format", "csv", "--annotate")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames_read"] == 30 and summary["frames_scored"] == 15 and summary["failed_frames"] == 0
    assert summary["model"]["name"] == "tiny-yolo.onnx" and len(summary["model"]["sha256"]) == 64
    assert summary["model"]["engine"] == "onnxruntime f32"
    assert summary["model"]["streams"] == 2  # recorded video: one stream per thread (2 by default)
    assert summary["wall_s"] > 0 and summary["fps"] > 0
    assert isinstance(summary["events"], dict)
    lines = [json.loads(line) for line in (out / "detections.jsonl").read_text().splitlines()]
    assert [line["frame"] for line in lines] == list(range(0, 30, 2))
    for line in lines:
        for box in line["boxes"]:
            x1, y1, x2, y2, conf, name, track = box
            assert 0 <= x1 <= x2 <= 160 and 0 <= y1 <= y2 <= 120 and 0 <= conf <= 1
            assert name in {"head", "helmet", "person"} and (track is None or track > 0)
    assert (out / "events.jsonl").exists()
    with open(out / "events.csv") as fh:
        assert csv.DictReader(fh).fieldnames[:5] == ["event_id", "source", "type", "start", "end"]
    assert (out / "annotated-clip.mp4").stat().st_size > 0


def test_zoom_scores_enlarged_frames_and_reports_boxes_in_the_video_s_pixels(small_video, tmp_path):
    out = tmp_path / "out"
    result = score(small_video, "--out", out, "--model", TINY_MODEL, "--start", START, "--stride", "5",
                   "--detections", "--tiles", "on", "--zoom", "2")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (out / "detections.jsonl").read_text().splitlines()]
    assert len(lines) == 6
    for line in lines:
        for x1, y1, x2, y2, *_ in line["boxes"]:
            assert 0 <= x1 <= x2 <= 160 and 0 <= y1 <= y2 <= 120


@pytest.mark.parametrize(
    ("config", "flags", "engine"),
    [
        (None, [], "onnxruntime f32"),
        (None, ["--backend", "openvino"], "openvino f32"),
        ("detector:\n  backend: openvino\n  precision: bf16\n", ["--precision", "f32"], "openvino f32"),
        ("detector:\n  backend: openvino\n", ["--backend", "onnxruntime"], "onnxruntime f32"),
    ],
)
def test_the_command_line_engine_beats_the_config_s(small_video, tmp_path, config, flags, engine):
    if engine.startswith("openvino"):
        pytest.importorskip("openvino", reason="the 'openvino' extra is not installed")
    args = [small_video, "--out", tmp_path / "o", "--model", TINY_MODEL, "--start", START, "--stride", "10", *flags]
    if config is not None:
        (tmp_path / "site.yaml").write_text(config)
        args += ["--config", tmp_path / "site.yaml"]
    result = score(*args)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["model"]["engine"] == engine


def test_frames_in_flight_on_two_streams_give_the_same_tracks_and_events_as_one(small_video, tmp_path):
    config = tmp_path / "low.yaml"
    # The tiny model scores about 0.004: thresholds under it give boxes and tracks every frame.
    config.write_text(
        "detector:\n  confidence: 0.001\n"
        "tracker:\n  high_threshold: 0.002\n  low_threshold: 0.001\n  new_track_threshold: 0.002\n"
        "motion:\n  enabled: false\nfixtures:\n  enabled: false\n"
    )
    outputs = {}
    for streams in ("1", "2"):
        out = tmp_path / f"streams-{streams}"
        result = score(small_video, "--out", out, "--model", TINY_MODEL, "--config", config, "--start", START,
                       "--detections", "--streams", streams)
        assert result.exit_code == 0, result.output
        outputs[streams] = [(out / name).read_text() for name in ("detections.jsonl", "events.jsonl")]
    detections = [json.loads(line) for line in outputs["1"][0].splitlines()]
    assert [line["frame"] for line in detections] == list(range(30))
    assert any(box[6] is not None for line in detections for box in line["boxes"])  # tracks were made
    assert outputs["2"] == outputs["1"]


def test_truncated_video_scores_what_it_can_says_so_and_exits_3(truncated_video, small_video, tmp_path):
    result = score(small_video, truncated_video, "--out", tmp_path / "o", "--model", TINY_MODEL, "--start", START)
    assert result.exit_code == 3, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["failed_frames"] > 0 and summary["frames_scored"] > 0
    assert [v["incomplete"] for v in summary["videos"]] == [False, True]
    assert (tmp_path / "o" / "events.jsonl").exists()
    assert "frames failed to decode" in result.output
    assert f"warning: {truncated_video}: not read to the end" in result.output
    assert f"warning: {small_video}" not in result.output and "Traceback" not in result.output


def test_an_intact_video_exits_0_without_a_warning(small_video, tmp_path):
    result = score(small_video, "--out", tmp_path / "o", "--model", TINY_MODEL, "--start", START, "--stride", "5")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["videos"][0]["incomplete"] is False


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "missing.mp4: no such file"),
        ("not_video", "notes.mp4: not a video"),
        ("bad_model", "model.onnx"),
        ("missing_model", "nomodel.onnx"),
        ("bad_start", "--start 'yesterday' is not an ISO 8601"),
        ("bad_config", "bad.yaml"),
        ("bf16_on_onnxruntime", "precision 'bf16' needs backend: openvino"),
        ("streams_over_threads", "streams (3) cannot exceed threads (2)"),
        ("empty_db", "database URL"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(case, expected, small_video, not_a_video, tmp_path):
    args = [small_video, "--out", tmp_path / "o", "--model", TINY_MODEL]
    if case == "missing":
        args[0] = tmp_path / "missing.mp4"
    elif case == "not_video":
        args[0] = not_a_video
    elif case == "bad_model":
        bad = tmp_path / "model.onnx"
        bad.write_text("not a model")
        args[4] = bad
    elif case == "missing_model":
        args[4] = tmp_path / "nomodel.onnx"
    elif case == "bad_start":
        args += ["--start", "yesterday"]
    elif case == "bad_config":
        bad = tmp_path / "bad.yaml"
        bad.write_text("rules:\n  no_helmet:\n    k: 9\n    m: 3\n")
        args += ["--config", bad]
    elif case == "bf16_on_onnxruntime":
        args += ["--precision", "bf16"]
    elif case == "streams_over_threads":
        args += ["--streams", "3"]
    elif case == "empty_db":
        args += ["--db", ""]  # was taken for "no store" and silently skipped
    proc = subprocess.run([sys.executable, "-m", "sitewatch", "score", *map(str, args)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:")


def test_help_states_the_default_start():
    result = runner.invoke(app, ["score", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "modification time minus the video's duration" in result.output


@pytest.mark.parametrize(
    ("start", "exit_code"),
    [
        ("0001-01-01T00:00:00", 2),  # the site schedule's day-before arithmetic overflowed (a traceback)
        ("9999-12-31T23:00:00", 2),
        ("1900-01-01T00:00:00", 0),
        ("8999-12-31T23:59:59+14:00", 0),
    ],
)
def test_a_start_at_the_ends_of_the_calendar_is_refused(small_video, tmp_path, start, exit_code):
    config = Path(__file__).resolve().parents[3] / "examples" / "site.yaml"
    result = score(small_video, "--out", tmp_path / "o", "--model", TINY_MODEL, "--config", config, "--camera", "vtest",
                   "--start", start, "--stride", "10", "--quiet")
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    if exit_code:
        assert f"--start {start!r} is out of range" in result.output
