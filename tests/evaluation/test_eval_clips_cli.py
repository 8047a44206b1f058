"""``sitewatch eval clips`` and ``eval make-clips``: JSON shape, the report, one-line errors with exit 2."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clipdata import write_photo_set
from sitewatch.cli import app
from testdata import TINY_MODEL

TYPE_KEYS = {"precision", "recall", "f1", "episodes", "events", "duplicates_per_episode", "time_to_alert_s"}
needs_tiny_model = pytest.mark.skipif(not TINY_MODEL.is_file(), reason=f"{TINY_MODEL} is missing")


def run(*args):
    return CliRunner().invoke(app, ["eval", *map(str, args)])


def assert_user_error(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def cli_clips(tmp_path_factory) -> Path:
    """Two small clips made through the CLI from the synthetic photo set."""
    photos = write_photo_set(tmp_path_factory.mktemp("photos"))
    out = tmp_path_factory.mktemp("made") / "clips"
    result = run(
        "make-clips",
        photos,
        "--out",
        out,
        "--seed",
        1,
        "--photos-per-clip",
        2,
        "--seconds-per-photo",
        2,
        "--size",
        "160x120",
        "--video-format",
        "avi",
    )
    assert result.exit_code == 0, result.output
    assert "2 clips ->" in result.output
    return out


@needs_tiny_model
def test_json_is_one_object_of_the_documented_shape(cli_clips):
    result = run("clips", cli_clips, "--model", TINY_MODEL, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"model", "no_helmet", "out_of_hours", "map50", "clips"}
    assert report["model"] == {
        "name": "tiny-yolo.onnx",
        "sha256": hashlib.sha256(TINY_MODEL.read_bytes()).hexdigest(),
        "engine": "onnxruntime f32",
    }
    for type_name in ("no_helmet", "out_of_hours"):
        assert TYPE_KEYS <= set(report[type_name])
        assert set(report[type_name]["time_to_alert_s"]) == {"median", "p95"}
    assert report["no_helmet"]["episodes"] == 4  # one bare head in each of the 4 photos
    assert set(report["map50"]) == {"head", "helmet", "person", "all"}
    assert [row["clip"] for row in report["clips"]] == ["clip-000", "clip-001"]
    for row in report["clips"]:
        assert row["frames"] == row["frames_scored"] == 20
        assert {"no_helmet", "out_of_hours", "map50", "start", "outside_permitted_hours"} <= set(row)


@needs_tiny_model
def test_stride_and_one_clip_folder(cli_clips):
    result = run("clips", cli_clips / "clip-001", "--model", TINY_MODEL, "--json", "--stride", 2)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["clips"]
    assert row["frames_scored"] == 10


@needs_tiny_model
def test_tables_and_report_with_charts(cli_clips, tmp_path):
    pytest.importorskip("matplotlib")
    result = run(
        "clips",
        cli_clips,
        "--model",
        TINY_MODEL,
        "--report",
        tmp_path / "report",
        "--keep",
        tmp_path / "runs",
    )
    assert result.exit_code == 0, result.output
    for text in ("tiny-yolo.onnx", "no_helmet", "out_of_hours", "mAP50", "clip-000", "report:"):
        assert text in result.stdout
    page = (tmp_path / "report" / "report.md").read_text()
    pngs = ["summary.png", "time_to_alert.png", "timelines/clip-000.png", "timelines/clip-001.png"]
    for png in pngs:
        assert f"]({png})" in page
        assert (tmp_path / "report" / png).read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "runs" / "clip-000" / "events.jsonl").is_file()
    assert (tmp_path / "runs" / "clip-000" / "detections.jsonl").is_file()


def test_report_without_matplotlib_is_a_one_line_error(cli_clips, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what an environment without the eval extra sees
    assert_user_error(run("clips", cli_clips, "--report", "somewhere"), "pip install 'sitewatch[eval]'")


def test_clip_errors(cli_clips, tmp_path):
    assert_user_error(run("clips", tmp_path / "nowhere"), "does not exist")
    assert_user_error(run("clips", tmp_path), "no labelled clips")
    broken = tmp_path / "broken"
    shutil.copytree(cli_clips / "clip-000", broken / "clip-000")
    meta = json.loads((broken / "clip-000" / "clip.json").read_text())
    meta["fps"] = -1
    (broken / "clip-000" / "clip.json").write_text(json.dumps(meta))
    assert_user_error(run("clips", broken), "clip.json: fps: Input should be greater than 0")
    junk = tmp_path / "junk"
    shutil.copytree(cli_clips / "clip-001", junk)
    (junk / "video.avi").write_bytes(b"not a video" * 100)
    assert_user_error(run("clips", junk), "video.avi: not a video file OpenCV/FFmpeg can open")


@needs_tiny_model
def test_a_video_at_another_rate_than_its_labels_is_refused(cli_clips, tmp_path):
    clip = tmp_path / "clip"
    shutil.copytree(cli_clips / "clip-000", clip)
    meta = json.loads((clip / "clip.json").read_text())
    meta["fps"] = 10
    (clip / "clip.json").write_text(json.dumps(meta))
    assert_user_error(
        run("clips", clip, "--model", TINY_MODEL), "the video runs at 5 fps but clip/clip.json says 10"
    )


def test_model_errors(cli_clips, tmp_path):
    assert_user_error(run("clips", cli_clips, "--model", tmp_path / "missing.onnx"), "missing.onnx")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "640"], "is not WIDTHxHEIGHT"),
        (["--timezone", "Europe/Berln"], "did you mean 'Europe/Berlin'"),
        (["--video-format", "mkv"], "video format must be one of"),
        (["--split", "train"], "has no 'train' split"),
    ],
)
def test_make_clips_errors(tmp_path, args, message):
    photos = write_photo_set(tmp_path / "photos", photos=1)
    assert_user_error(run("make-clips", photos, "--out", tmp_path / "out", *args), message)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00names", "cannot read {data}: not UTF-8 text"),
        (b"", "{data} is not a YOLO data.yaml"),
        (b"- test/images\n", "{data} is not a YOLO data.yaml"),
        (b"sites:\n  - id: north\n", "{data}: 'names' must list the class names"),
    ],
)
def test_make_clips_names_a_data_yaml_it_cannot_use(tmp_path, content, message):
    data = tmp_path / "data.yaml"
    data.write_bytes(content)
    assert_user_error(run("make-clips", data, "--out", tmp_path / "out"), message.format(data=data))


def test_make_clips_refuses_a_folder_that_is_not_empty(tmp_path):
    photos = write_photo_set(tmp_path / "photos", photos=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert_user_error(run("make-clips", photos, "--out", tmp_path / "out"), "is not an empty folder")
