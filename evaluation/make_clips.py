"""Make labelled clips from a labelled photo set (YOLO format).

Each clip is a few photos of the split, each held for ``seconds_per_photo``
as if a camera watched it, with hard cuts between photos:

- **Motion**: a slow pan and zoom across the photo (the view stays inside it),
  plus per-frame jitter; only scale and translation, so every labelled box
  maps exactly onto the frame (x' = s * x + tx, y' = s * y + ty, the same
  affine ``cv2.warpAffine`` applies to the pixels).
- **Sensor and codec**: Gaussian noise and a JPEG re-compression per frame,
  then the video codec's own compression.
- **Labels**: every box of the photo is transformed with the frame's affine,
  clipped to the frame, and dropped while less than ``min_visible_fraction``
  of it is in view. Each object of each photo gets its own id; no id is shared
  between photos (a cut shows other people).

Ground-truth episodes (what the rules are meant to report):

- **no_helmet**: for every ``head`` box (a bare head), each run of consecutive
  frames in which it is in view is one episode. It is *difficult* (an alert
  may report it, need not) unless at least ``max(k, min_visible_s * fps)``
  of those frames show it at least ``min_head_px`` on its shorter side.
- **out_of_hours**: a clip lies wholly inside or wholly outside the site's
  permitted hours (its start is drawn so that the hours do not change during
  it). In a clip outside the hours, a frame "shows people" when a box of any
  class at least ``min_head_px`` on its shorter side is in view. Runs of such
  frames separated by at most the rule's ``close_after_s`` are one episode -
  across cuts too: a cut to a photo with people is the camera still seeing
  people, and the rule keeps its event open over it. An episode shorter than
  the rule's ``persistence_s`` is difficult.

Deterministic: clip ``n`` depends only on the seed, ``n`` and the options,
not on how many clips are made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import cv2
import numpy as np

from sitewatch.config.rules import RulesSettings
from sitewatch.config.sites import ScheduleSettings, SiteSettings
from sitewatch.evaluation.clips_format import (
    BARE_HEAD_CLASS,
    ClipMeta,
    FrameLabels,
    GroundTruthEpisode,
    write_clip,
)
from sitewatch.evaluation.images import read_image
from sitewatch.evaluation.yolo_dataset import DatasetError, YoloSplit, load_ground_truth
from sitewatch.events import EventType
from sitewatch.rules.schedule import is_permitted, next_change

VIDEO_FORMATS = {"mp4": ("video.mp4", "mp4v"), "avi": ("video.avi", "MJPG")}
DEFAULT_SCHEDULE = {"weekly": [{"days": "mon-fri", "hours": "07:00-19:00"}]}
ProgressCallback = Callable[[int, int], None]


class ClipMakerError(ValueError):
    """Clips that cannot be made as asked; the message is meant for the user."""


@dataclass(frozen=True)
class ClipMakerOptions:
    seed: int = 0
    clips: int | None = None  # None: as many as the split's photos fill
    photos_per_clip: int = 8
    seconds_per_photo: float = 6.0
    fps: float = 5.0
    # Below 1.5 x a 416 px model input, so frames are scored in one pass, not in tiles: the
    # photos are ~500 px wide, and tiling an upscaled photo costs 5x the time and finds nothing more.
    width: int = 576
    height: int = 432
    out_of_hours_share: float = 0.4
    timezone: str = "Europe/Berlin"
    schedule: dict = field(default_factory=lambda: DEFAULT_SCHEDULE)
    min_head_px: float = 12.0
    min_visible_s: float = 1.0
    min_visible_fraction: float = 0.5
    max_zoom: float = 1.25
    jitter_px: float = 1.0
    noise_sigma: tuple[float, float] = (1.0, 4.0)
    jpeg_quality: tuple[int, int] = (55, 90)
    video_format: str = "mp4"
    rules: RulesSettings = RulesSettings()

    def __post_init__(self) -> None:
        checks = [
            (self.photos_per_clip >= 1, "photos per clip must be >= 1"),
            (self.seconds_per_photo > 0, "seconds per photo must be > 0"),
            (0 < self.fps <= 60, "fps must lie in (0, 60]"),
            (self.width >= 32 and self.height >= 32, "the frame size must be at least 32x32"),
            (0 <= self.out_of_hours_share <= 1, "the out-of-hours share must lie in [0, 1]"),
            (self.clips is None or self.clips >= 1, "the number of clips must be >= 1"),
            (self.max_zoom >= 1, "max zoom must be >= 1"),
            (0 < self.min_visible_fraction <= 1, "the minimum visible fraction must lie in (0, 1]"),
            (self.video_format in VIDEO_FORMATS, f"video format must be one of {', '.join(VIDEO_FORMATS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ClipMakerError(message)

    @property
    def frames_per_photo(self) -> int:
        return max(1, round(self.seconds_per_photo * self.fps))


def make_clips(
    split: YoloSplit,
    out: Path,
    options: ClipMakerOptions = ClipMakerOptions(),
    on_progress: ProgressCallback | None = None,
) -> list[Path]:
    """Write the clips into ``out`` (``clip-000``, ``clip-001``, ...); returns their folders."""
    if BARE_HEAD_CLASS not in split.class_names:
        raise DatasetError(
            f"the data set has no '{BARE_HEAD_CLASS}' class (classes: {', '.join(split.class_names)})"
        )
    site = SiteSettings(
        id="made-clips",
        name=f"clips made from {split.data_yaml.parent.name}/{split.split}",
        timezone=options.timezone,
        schedule=ScheduleSettings.model_validate(options.schedule),
    )
    order = np.random.default_rng(options.seed).permutation(len(split.images))
    groups = [order[i : i + options.photos_per_clip] for i in range(0, len(order), options.photos_per_clip)]
    if options.clips is not None:
        groups = groups[: options.clips]
    folders = []
    for n, group in enumerate(groups):
        folder = out / f"clip-{n:03d}"
        _make_clip(
            folder,
            [split.images[i] for i in group],
            split,
            site,
            options,
            np.random.default_rng([options.seed, n]),
        )
        folders.append(folder)
        if on_progress is not None:
            on_progress(n + 1, len(groups))
    return folders


# -- one clip ----------------------------------------------------------------
@dataclass
class _Track:
    """One labelled object of one photo, frame by frame over the clip."""

    class_id: int
    frames: list[int] = field(default_factory=list)
    big: list[bool] = field(default_factory=list)


def _make_clip(
    folder: Path,
    photos: list[Path],
    split: YoloSplit,
    site: SiteSettings,
    options: ClipMakerOptions,
    rng: np.random.Generator,
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    video_name, fourcc = VIDEO_FORMATS[options.video_format]
    size = (options.width, options.height)
    writer = cv2.VideoWriter(str(folder / video_name), cv2.VideoWriter.fourcc(*fourcc), options.fps, size)
    if not writer.isOpened():
        raise ClipMakerError(f"OpenCV cannot write {fourcc} video to {folder / video_name}")
    labels: dict[int, FrameLabels] = {}
    tracks: dict[int, _Track] = {}
    frame = 0
    next_id = 1
    cuts: list[int] = []  # first frame of each photo
    try:
        for photo_path in photos:
            cuts.append(frame)
            photo = read_image(photo_path)
            h, w = photo.shape[:2]
            truth = load_ground_truth(photo_path, w, h, len(split.class_names))
            ids = np.arange(next_id, next_id + len(truth), dtype=np.int64)
            next_id += len(truth)
            for object_id, class_id in zip(ids.tolist(), truth.class_id.tolist()):
                tracks[object_id] = _Track(class_id)
            noise = rng.uniform(*options.noise_sigma)
            quality = int(rng.integers(options.jpeg_quality[0], options.jpeg_quality[1] + 1))
            for affine in _camera_path(w, h, options, rng):
                image = cv2.warpAffine(
                    photo,
                    _pixel_affine(affine),
                    size,
                    flags=cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE,
                )
                writer.write(_degrade(image, noise, quality, rng))
                kept, boxes = _transform_boxes(truth.xyxy, affine, options)
                labels[frame] = FrameLabels(boxes[kept], truth.class_id[kept], ids[kept])
                sides = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
                for object_id, big in zip(ids[kept].tolist(), (sides[kept] >= options.min_head_px).tolist()):
                    tracks[object_id].frames.append(frame)
                    tracks[object_id].big.append(big)
                frame += 1
    finally:
        writer.release()

    outside = bool(rng.random() < options.out_of_hours_share)
    start = _pick_start(site, outside, frame / options.fps, rng)
    head = split.class_names.index(BARE_HEAD_CLASS)
    episodes = _no_helmet_episodes(tracks, head, options)
    if outside:
        episodes += _out_of_hours_episodes(tracks, options)
    meta = ClipMeta(
        video=video_name,
        fps=options.fps,
        frames=frame,
        width=options.width,
        height=options.height,
        start=start,
        site=site,
        classes=split.class_names,
        episodes=tuple(episodes),
        provenance={
            "made_by": "sitewatch eval make-clips",
            "photos": [p.name for p in photos],
            "cuts": cuts,
            "seconds_per_photo": options.seconds_per_photo,
            "outside_permitted_hours": outside,
            "min_head_px": options.min_head_px,
            "min_visible_s": options.min_visible_s,
            "no_helmet_k": options.rules.no_helmet.k,
            "out_of_hours_persistence_s": options.rules.out_of_hours.persistence_s,
            "out_of_hours_close_after_s": options.rules.out_of_hours.close_after_s,
        },
    )
    write_clip(folder, meta, labels)


def _camera_path(w: int, h: int, options: ClipMakerOptions, rng: np.random.Generator) -> list[np.ndarray]:
    """One 2x3 affine (photo -> frame pixels) per frame: a slow pan and zoom with jitter."""
    n = options.frames_per_photo
    cover = max(options.width / w, options.height / h)  # the smallest scale that fills the frame
    zoom = rng.uniform(1.0, options.max_zoom, 2)
    anchor = rng.uniform(0.0, 1.0, (2, 2))  # where the view sits in the room it has, at start and end
    affines = []
    for t in np.linspace(0.0, 1.0, n):
        eased = 0.5 - 0.5 * math.cos(math.pi * t)  # a camera operator starts and stops gently
        scale = cover * (zoom[0] + (zoom[1] - zoom[0]) * eased)
        room = np.array([w - options.width / scale, h - options.height / scale]).clip(0)
        offset = room * (anchor[0] + (anchor[1] - anchor[0]) * eased)  # photo px at the frame's top-left
        shift = -scale * offset + rng.normal(0.0, options.jitter_px, 2)
        affines.append(np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]], np.float64))
    return affines


def _pixel_affine(affine: np.ndarray) -> np.ndarray:
    """``affine`` (on continuous coordinates, pixel i spanning [i, i + 1)) as OpenCV applies it.

    OpenCV puts pixel centres at integer coordinates; box corners are continuous.
    Shifting by (s - 1) / 2 makes warped pixels land exactly where s * x + t puts the boxes.
    """
    shifted = affine.copy()
    shifted[:, 2] += 0.5 * (affine[0, 0] - 1.0)
    return shifted


def _transform_boxes(
    xyxy: np.ndarray, affine: np.ndarray, options: ClipMakerOptions
) -> tuple[np.ndarray, np.ndarray]:
    """(kept mask, clipped frame boxes) of photo boxes under ``affine``."""
    scale, shift = affine[0, 0], affine[:, 2]
    moved = xyxy.astype(np.float64) * scale + np.tile(shift, 2)
    limits = np.array([options.width, options.height, options.width, options.height], np.float64)
    clipped = np.clip(moved, 0.0, limits)
    area = (moved[:, 2] - moved[:, 0]) * (moved[:, 3] - moved[:, 1])
    inside = np.clip(clipped[:, 2] - clipped[:, 0], 0, None) * np.clip(clipped[:, 3] - clipped[:, 1], 0, None)
    kept = (inside > 0) & (inside >= options.min_visible_fraction * np.maximum(area, 1e-9))
    return kept, clipped.astype(np.float32)


def _degrade(image: np.ndarray, sigma: float, quality: int, rng: np.random.Generator) -> np.ndarray:
    noisy = image.astype(np.float32) + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    noisy = np.clip(noisy, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else noisy


def _pick_start(site: SiteSettings, outside: bool, duration_s: float, rng: np.random.Generator) -> datetime:
    """A local start time in 2026 inside (or outside) the permitted hours for the whole clip."""
    zone = site.zone
    for _ in range(10_000):
        day = date(2026, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        naive = datetime.combine(day, time()) + timedelta(seconds=int(rng.integers(0, 86_400)))
        start = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)  # normalises a skipped DST hour
        if is_permitted(site, (), start) == outside:
            continue
        change = next_change(site, (), start)
        if change is None or change > start + timedelta(seconds=duration_s + 1):
            return start
    wanted = "outside" if outside else "inside"
    raise ClipMakerError(
        f"the schedule leaves no time {wanted} the permitted hours for a {duration_s:.0f} s clip"
    )


def _runs(frames: list[int], max_gap: int = 1) -> list[tuple[int, int]]:
    """(first, last) of the runs of ``frames`` (sorted) whose steps are at most ``max_gap``."""
    runs: list[tuple[int, int]] = []
    for f in frames:
        if runs and f - runs[-1][1] <= max_gap:
            runs[-1] = (runs[-1][0], f)
        else:
            runs.append((f, f))
    return runs


def _no_helmet_episodes(
    tracks: dict[int, _Track], head: int, options: ClipMakerOptions
) -> list[GroundTruthEpisode]:
    needed = max(options.rules.no_helmet.k, math.ceil(options.min_visible_s * options.fps))
    episodes = []
    for object_id, track in tracks.items():
        if track.class_id != head:
            continue
        big = dict(zip(track.frames, track.big))
        for first, last in _runs(track.frames):
            shown_big = sum(big[f] for f in range(first, last + 1))
            episodes.append(
                GroundTruthEpisode(
                    type=EventType.NO_HELMET,
                    person=object_id,
                    start_frame=first,
                    end_frame=last,
                    difficult=shown_big < needed,
                )
            )
    return sorted(episodes, key=lambda e: (e.start_frame, e.person))


def _out_of_hours_episodes(tracks: dict[int, _Track], options: ClipMakerOptions) -> list[GroundTruthEpisode]:
    rule = options.rules.out_of_hours
    with_people = sorted({f for t in tracks.values() for f, big in zip(t.frames, t.big) if big})
    max_gap = max(1, math.floor(rule.close_after_s * options.fps))
    episodes = []
    for first, last in _runs(with_people, max_gap):
        episodes.append(
            GroundTruthEpisode(
                type=EventType.OUT_OF_HOURS,
                start_frame=first,
                end_frame=last,
                difficult=(last - first) / options.fps < rule.persistence_s,
            )
        )
    return episodes
