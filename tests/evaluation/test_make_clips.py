"""``make_clips``: labels follow the pixels exactly, episodes follow the rules, the seed fixes everything."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from clipdata import BACKGROUND, COLOURS, small_options
from sitewatch.evaluation.clips_format import find_clips, read_clip
from sitewatch.evaluation.make_clips import ClipMakerError, ClipMakerOptions, make_clips
from sitewatch.evaluation.yolo_dataset import load_split
from sitewatch.events import EventType
from sitewatch.rules.schedule import is_permitted, next_change


def decoded_frames(video: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames


def mean_colour(image: np.ndarray, box: np.ndarray, inset: int) -> np.ndarray:
    x1, y1, x2, y2 = (np.round(box).astype(int) + [inset, inset, -inset, -inset]).tolist()
    return image[y1:y2, x1:x2].reshape(-1, 3).mean(axis=0)


def ring_colour(image: np.ndarray, box: np.ndarray, gap: int, width: int) -> np.ndarray:
    """Mean colour of a band ``gap`` to ``gap + width`` px outside ``box`` (inside the frame)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = np.round(box).astype(int).tolist()
    mask = np.zeros((h, w), bool)
    mask[max(0, y1 - gap - width) : y2 + gap + width, max(0, x1 - gap - width) : x2 + gap + width] = True
    mask[max(0, y1 - gap) : y2 + gap, max(0, x1 - gap) : x2 + gap] = False
    return image[mask].mean(axis=0)


def misfit(frames: list[np.ndarray], clip, change: np.ndarray) -> float:
    """How badly the clip's label boxes, moved by ``change``, fit the drawn objects (summed colour error)."""
    total = 0.0
    for index, image in enumerate(frames):
        labels = clip.labels.frames[index]
        for box, class_id in zip(labels.xyxy, labels.class_id):
            if min(box[2] - box[0], box[3] - box[1]) < 12:
                continue  # clipped to a sliver at the frame edge: too thin to measure a colour
            box = box + change
            total += np.abs(mean_colour(image, box, 1) - COLOURS[int(class_id)]).sum()
            total += np.abs(ring_colour(image, box, 1, 2) - BACKGROUND).sum()
    return total


@pytest.mark.parametrize("video_format", ["mp4", "avi"])
def test_each_transformed_label_box_lands_on_its_drawn_object(photo_set, tmp_path, video_format):
    make_clips(load_split(photo_set, "test"), tmp_path, small_options(video_format=video_format, clips=1))
    clip = read_clip(tmp_path / "clip-000")
    frames = decoded_frames(clip.video_path)
    assert len(frames) == clip.meta.frames == 20
    checked = 0
    for index, image in enumerate(frames):
        labels = clip.labels.frames[index]
        for box, class_id in zip(labels.xyxy, labels.class_id):
            if min(box[2] - box[0], box[3] - box[1]) < 12:
                continue
            # Inside the box (2 px in from its edge, past the codec's blur): the object's colour.
            assert np.abs(mean_colour(image, box, 2) - COLOURS[int(class_id)]).max() < 30, (index, class_id)
            # Just outside it: background, so the box is not smaller than the object or shifted off it.
            assert np.abs(ring_colour(image, box, 2, 3) - BACKGROUND).max() < 30, (index, class_id)
            checked += 1
    assert checked >= 40
    # Exact, not just close: the boxes fit better than the same boxes 1 px off in any direction,
    # or 2 px larger or smaller on every side.
    exact = misfit(frames, clip, np.zeros(4))
    for change in (
        [1, 0, 1, 0],
        [-1, 0, -1, 0],
        [0, 1, 0, 1],
        [0, -1, 0, -1],
        [2, 2, -2, -2],
        [-2, -2, 2, 2],
    ):
        assert exact < misfit(frames, clip, np.asarray(change, np.float32)), change


def test_a_box_mostly_out_of_view_is_dropped_and_a_partly_visible_one_is_clipped(photo_set, tmp_path):
    # A strong zoom pushes objects over the frame edge.
    make_clips(load_split(photo_set, "test"), tmp_path, small_options(max_zoom=2.5, clips=1, seed=11))
    clip = read_clip(tmp_path / "clip-000")
    all_boxes = np.concatenate([f.xyxy for f in clip.labels.frames.values()])
    assert (all_boxes[:, [0, 1]] >= 0).all()
    assert (all_boxes[:, 2] <= clip.meta.width).all() and (all_boxes[:, 3] <= clip.meta.height).all()


def test_same_seed_same_clips_and_clip_n_does_not_depend_on_how_many_are_made(photo_set, tmp_path):
    split = load_split(photo_set, "test")
    make_clips(split, tmp_path / "a", small_options(seed=5))
    make_clips(split, tmp_path / "b", small_options(seed=5, clips=1))
    make_clips(split, tmp_path / "c", small_options(seed=6, clips=1))
    assert len(find_clips(tmp_path / "a")) == 2  # 4 photos, 2 a clip
    for name in ("clip.json", "labels.jsonl"):
        a = (tmp_path / "a" / "clip-000" / name).read_text()
        assert a == (tmp_path / "b" / "clip-000" / name).read_text()
        assert a != (tmp_path / "c" / "clip-000" / name).read_text()


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_a_clip_lies_wholly_inside_or_wholly_outside_the_permitted_hours(photo_set, tmp_path, share):
    make_clips(load_split(photo_set, "test"), tmp_path, small_options(out_of_hours_share=share))
    for folder in find_clips(tmp_path):
        meta = read_clip(folder).meta
        end = meta.start + timedelta(seconds=meta.frames / meta.fps)
        outside = share == 1.0
        assert is_permitted(meta.site, (), meta.start) is not outside
        change = next_change(meta.site, (), meta.start)
        assert change is None or change > end
        assert bool(meta.episodes_of(EventType.OUT_OF_HOURS)) is outside


def test_episodes_one_per_bare_head_per_photo_and_one_out_of_hours_across_the_cut(photo_set, tmp_path):
    make_clips(load_split(photo_set, "test"), tmp_path, small_options(out_of_hours_share=1.0, clips=1))
    clip = read_clip(tmp_path / "clip-000")
    no_helmet = clip.meta.episodes_of(EventType.NO_HELMET)
    # Two photos, one bare head each, never the same id: two episodes, split at the cut (frame 10).
    assert [(e.start_frame, e.end_frame) for e in no_helmet] == [(0, 9), (10, 19)]
    assert len({e.person for e in no_helmet}) == 2 and not any(e.difficult for e in no_helmet)
    # People in every frame, on both sides of the cut: one out-of-hours episode, long enough to count.
    late = clip.meta.episodes_of(EventType.OUT_OF_HOURS)
    assert [(e.start_frame, e.end_frame, e.difficult) for e in late] == [(0, 19, False)]
    # Every no_helmet person is labelled as a head in its episode's frames.
    head = clip.meta.classes.index("head")
    for episode in no_helmet:
        for frame in range(episode.start_frame, episode.end_frame + 1):
            labels = clip.labels.frames[frame]
            assert head in labels.class_id[labels.person == episode.person]


def test_short_presence_makes_difficult_episodes(photo_set, tmp_path):
    # Heads shown 0.6 s (3 frames) are below the 1 s needed; out-of-hours presence below 30 s persistence.
    options = ClipMakerOptions(
        photos_per_clip=2,
        seconds_per_photo=0.6,
        fps=5.0,
        width=160,
        height=120,
        out_of_hours_share=1.0,
        clips=1,
    )
    make_clips(load_split(photo_set, "test"), tmp_path, options)
    meta = read_clip(tmp_path / "clip-000").meta
    assert meta.episodes and all(e.difficult for e in meta.episodes)
    assert json.loads((tmp_path / "clip-000" / "clip.json").read_text())["provenance"]["min_visible_s"] == 1.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fps": 0}, "fps"),
        ({"photos_per_clip": 0}, "photos per clip"),
        ({"out_of_hours_share": 2}, "share"),
        ({"video_format": "mkv"}, "video format"),
    ],
)
def test_bad_options_are_refused(changes, message):
    with pytest.raises(ClipMakerError, match=message):
        ClipMakerOptions(**changes)
