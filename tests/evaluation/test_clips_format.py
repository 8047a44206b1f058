"""The labelled-clip format: written clips read back the same; broken ones fail with one clear line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitewatch.evaluation.clips_format import (
    ClipFormatError,
    ClipMeta,
    FrameLabels,
    find_clips,
    read_clip,
    write_clip,
)
from sitewatch.events import EventType

META = {
    "video": "video.avi",
    "fps": 5,
    "frames": 10,
    "width": 160,
    "height": 120,
    "start": "2026-05-05T23:30:00+02:00",
    "site": {
        "id": "yard",
        "name": "Yard",
        "timezone": "Europe/Berlin",
        "schedule": {"weekly": [{"days": "mon-fri", "hours": "07:00-19:00"}]},
    },
    "episodes": [
        {"type": "no_helmet", "person": 1, "start_frame": 2, "end_frame": 6},
        {"type": "out_of_hours", "start_frame": 0, "end_frame": 9, "difficult": True},
    ],
}
LABELS = {
    f: FrameLabels(np.array([[10, 10, 30, 30], [50, 40, 90, 110]]), [0, 2], [1, 2]) for f in range(0, 10, 2)
}


def write_valid_clip(folder: Path, meta: dict | None = None) -> Path:
    write_clip(folder, ClipMeta.model_validate(meta or META), LABELS)
    (folder / "video.avi").write_bytes(b"not decoded by the format reader")
    return folder


def test_round_trip(tmp_path):
    clip = read_clip(write_valid_clip(tmp_path / "c1"))
    assert clip.name == "c1" and clip.video_path == tmp_path / "c1" / "video.avi"
    assert clip.meta.start.utcoffset().total_seconds() == 7200
    assert clip.meta.site.schedule is not None
    assert [e.type for e in clip.meta.episodes] == [EventType.NO_HELMET, EventType.OUT_OF_HOURS]
    assert clip.meta.episodes[1].difficult and clip.meta.episodes[1].person is None
    assert sorted(clip.labels.frames) == [0, 2, 4, 6, 8]
    np.testing.assert_array_equal(clip.labels.frames[4].xyxy, LABELS[4].xyxy)
    assert clip.labels.frames[4].person.tolist() == [1, 2]
    # Rewriting what was read gives the same files.
    write_clip(tmp_path / "c2", clip.meta, clip.labels.frames)
    for name in ("clip.json", "labels.jsonl"):
        assert (tmp_path / "c1" / name).read_text() == (tmp_path / "c2" / name).read_text()


def test_find_clips_takes_one_clip_or_a_folder_of_them(tmp_path):
    write_valid_clip(tmp_path / "b")
    write_valid_clip(tmp_path / "a")
    (tmp_path / "notes").mkdir()
    assert find_clips(tmp_path) == [tmp_path / "a", tmp_path / "b"]
    assert find_clips(tmp_path / "a") == [tmp_path / "a"]
    with pytest.raises(ClipFormatError, match="no labelled clips"):
        find_clips(tmp_path / "notes")
    with pytest.raises(ClipFormatError, match="does not exist"):
        find_clips(tmp_path / "nowhere")


def _with(path: tuple, value) -> dict:
    meta = json.loads(json.dumps(META))
    target = meta
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return meta


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (_with(("start",), "2026-05-05T23:30:00"), "start: Input should have timezone info"),
        (_with(("site", "timezone"), "Europe/Berln"), "did you mean 'Europe/Berlin'"),
        (_with(("site", "schedule", "weekly", 0, "hours"), "7-19"), 'expected hours as "HH:MM-HH:MM"'),
        (_with(("episodes", 0, "end_frame"), 1), "end_frame (1) is before start_frame (2)"),
        (_with(("episodes", 0, "person"), None), "needs the person id"),
        (_with(("episodes", 1, "person"), 3), "leave out 'person'"),
        (_with(("episodes", 1, "end_frame"), 10), "past the last frame (9)"),
        (_with(("episodes", 0, "type"), "no_vest"), "episodes.0.type"),
        (_with(("video",), "../video.avi"), "file name only"),
        (_with(("frames",), None), "frames: Field required"),
        (_with(("colour",), "red"), "colour: Extra inputs are not permitted"),
        (_with(("site", "schedule"), None), "need a site with a schedule"),
    ],
)
def test_bad_clip_json_is_one_line_naming_the_field(tmp_path, meta, message):
    folder = tmp_path / "clip"
    folder.mkdir()
    (folder / "clip.json").write_text(json.dumps(meta))
    (folder / "labels.jsonl").write_text("")
    (folder / "video.avi").write_bytes(b"x")
    with pytest.raises(ClipFormatError) as caught:
        read_clip(folder)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(folder / "clip.json"))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ('{"frame": 10, "boxes": []}', "frame must be an integer in 0..9"),
        ('{"frame": 1, "boxes": [{"id": 1, "class": "cone", "xyxy": [0, 0, 5, 5]}]}', "unknown class 'cone'"),
        ('{"frame": 1, "boxes": [{"id": 1, "class": "head", "xyxy": [5, 0, 5, 5]}]}', "has no area"),
        ('{"frame": 1, "boxes": [{"id": 1, "class": "head", "xyxy": [0, 0, 5]}]}', "4 finite numbers"),
        (
            '{"frame": 1, "boxes": [{"id": "a", "class": "head", "xyxy": [0, 0, 5, 5]}]}',
            "id must be an integer",
        ),
        ('{"frame": 1, "box": []}', 'expected {"frame": N'),
        ('{"frame": 0, "boxes": []}', "frame 0 is labelled twice"),
    ],
)
def test_bad_labels_line_names_file_and_line(tmp_path, line, message):
    folder = write_valid_clip(tmp_path / "clip")
    labels = folder / "labels.jsonl"
    labels.write_text(labels.read_text() + line + "\n")
    with pytest.raises(ClipFormatError, match="labels.jsonl:6: ") as caught:
        read_clip(folder)
    assert message in str(caught.value)


def test_a_no_helmet_person_must_have_head_boxes_in_the_episode(tmp_path):
    folder = write_valid_clip(
        tmp_path / "clip", _with(("episodes", 0, "person"), 2)
    )  # person 2 is a 'person' box
    with pytest.raises(ClipFormatError, match=r"episodes.0: person 2 has no 'head' box in frames 2..6"):
        read_clip(folder)


def test_missing_files(tmp_path):
    folder = write_valid_clip(tmp_path / "clip")
    (folder / "video.avi").unlink()
    with pytest.raises(ClipFormatError, match="'video.avi' is not a file"):
        read_clip(folder)
    shutil.rmtree(folder)
    folder = write_valid_clip(tmp_path / "clip")
    (folder / "labels.jsonl").unlink()
    with pytest.raises(ClipFormatError, match="labels.jsonl: no such file"):
        read_clip(folder)
