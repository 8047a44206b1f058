"""The labelled-clip format: one folder per clip, read and written here, checked on reading.

A clip folder holds three files (documented for people in datasets/README.md):

- the video (any file OpenCV/FFmpeg decodes; its name is in ``clip.json``);
- ``clip.json``: metadata - frame rate, frame count and size, the wall-clock
  time of frame 0, the site (id, time zone, permitted hours, in the same
  format and checked by the same models as a site in the configuration), the
  class names, and the ground-truth violation episodes;
- ``labels.jsonl``: one labelled frame a line,
  ``{"frame": 12, "boxes": [{"id": 3, "class": "head", "xyxy": [x1, y1, x2, y2]}, ...]}``.
  Frames not listed are unlabelled (they still count for the episodes, not for
  frame-level mAP); a listed frame with no boxes is labelled as empty. ``id``
  names one person (or object) for the whole clip.

An episode is ``{"type": "no_helmet" | "out_of_hours", "start_frame", "end_frame"}``
(both inclusive), with ``"person"`` for ``no_helmet`` (the id whose ``head``
boxes show the bare head) and an optional ``"difficult": true`` for a violation
that an alert may report but need not (a head too small or seen too briefly,
people present out of hours for less than the persistence time).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator

from sitewatch.config.base import Section
from sitewatch.config.sites import SiteSettings
from sitewatch.events import EventType

FORMAT = "sitewatch-clip/1"
META_FILE = "clip.json"
LABELS_FILE = "labels.jsonl"
DEFAULT_CLASSES = ("head", "helmet", "person")
# The class whose boxes show a bare head: what a no_helmet episode's person is matched on.
BARE_HEAD_CLASS = "head"


class ClipFormatError(ValueError):
    """A clip folder that does not follow the format; the message is one line meant for the user."""


class GroundTruthEpisode(Section):
    type: EventType
    person: int | None = Field(None, description="no_helmet: the id of the person whose bare head it is")
    start_frame: int = Field(ge=0)
    end_frame: int = Field(ge=0, description="inclusive")
    difficult: bool = Field(False, description="an alert may report it, but need not")

    @model_validator(mode="after")
    def _consistent(self) -> GroundTruthEpisode:
        if self.end_frame < self.start_frame:
            raise ValueError(f"end_frame ({self.end_frame}) is before start_frame ({self.start_frame})")
        if self.type is EventType.NO_HELMET and self.person is None:
            raise ValueError("a no_helmet episode needs the person id whose bare head it is")
        if self.type is EventType.OUT_OF_HOURS and self.person is not None:
            raise ValueError("an out_of_hours episode is about the site, not one person: leave out 'person'")
        return self

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1


class ClipMeta(Section):
    format: Literal["sitewatch-clip/1"] = FORMAT
    video: str = Field(min_length=1, description="the video's file name inside the clip folder")
    fps: float = Field(gt=0, le=240)
    frames: int = Field(ge=1, description="frames in the video")
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    start: AwareDatetime = Field(description="wall-clock time of frame 0, with its UTC offset")
    site: SiteSettings
    classes: tuple[str, ...] = DEFAULT_CLASSES
    episodes: tuple[GroundTruthEpisode, ...] = ()
    provenance: dict[str, Any] = Field(default_factory=dict, description="how the clip was made; not read")

    @field_validator("video")
    @classmethod
    def _plain_name(cls, name: str) -> str:
        if "/" in name or "\\" in name or name in {".", ".."}:
            raise ValueError("give the video's file name only; it must lie in the clip folder")
        return name

    @field_validator("classes")
    @classmethod
    def _unique_classes(cls, classes: tuple[str, ...]) -> tuple[str, ...]:
        if not classes or len(set(classes)) != len(classes):
            raise ValueError("classes must be a non-empty list of distinct names")
        return classes

    @model_validator(mode="after")
    def _episodes_inside(self) -> ClipMeta:
        for i, episode in enumerate(self.episodes):
            if episode.end_frame >= self.frames:
                raise ValueError(
                    f"episodes.{i}: end_frame {episode.end_frame} is past the last frame ({self.frames - 1})"
                )
        if self.site.schedule is None and any(e.type is EventType.OUT_OF_HOURS for e in self.episodes):
            raise ValueError("out_of_hours episodes need a site with a schedule (permitted hours)")
        return self

    def episodes_of(self, type_: EventType) -> list[GroundTruthEpisode]:
        return [e for e in self.episodes if e.type is type_]


@dataclass(frozen=True, eq=False)
class FrameLabels:
    """The labelled boxes of one frame: xyxy float32 (N, 4), class_id int32 (N,), person int64 (N,)."""

    xyxy: np.ndarray
    class_id: np.ndarray
    person: np.ndarray

    def __post_init__(self) -> None:
        xyxy = np.ascontiguousarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        class_id = np.ascontiguousarray(self.class_id, dtype=np.int32).reshape(-1)
        person = np.ascontiguousarray(self.person, dtype=np.int64).reshape(-1)
        if not len(xyxy) == len(class_id) == len(person):
            raise ValueError("FrameLabels columns differ in length")
        for name, array in (("xyxy", xyxy), ("class_id", class_id), ("person", person)):
            array.flags.writeable = False
            object.__setattr__(self, name, array)

    @classmethod
    def empty(cls) -> FrameLabels:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.xyxy)


@dataclass(frozen=True, eq=False)
class ClipLabels:
    """Every labelled frame of a clip, by frame index."""

    classes: tuple[str, ...]
    frames: Mapping[int, FrameLabels]
    _tracks: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def bare_head_track(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        """(frames (K,), boxes (K, 4)) of ``person``'s ``head`` boxes, in frame order."""
        if person not in self._tracks:
            head = self.classes.index(BARE_HEAD_CLASS) if BARE_HEAD_CLASS in self.classes else -1
            frames, boxes = [], []
            for index in sorted(self.frames):
                labels = self.frames[index]
                rows = np.flatnonzero((labels.person == person) & (labels.class_id == head))
                if len(rows):
                    frames.append(index)
                    boxes.append(labels.xyxy[rows[0]])
            self._tracks[person] = (
                np.asarray(frames, np.int64),
                np.asarray(boxes, np.float32).reshape(-1, 4),
            )
        return self._tracks[person]

    def bare_head_box(self, person: int, frame: int) -> np.ndarray | None:
        """``person``'s head box in ``frame``: labelled there, or interpolated between the nearest
        labelled frames before and after it; None outside the span where the head is labelled."""
        frames, boxes = self.bare_head_track(person)
        if not len(frames) or frame < frames[0] or frame > frames[-1]:
            return None
        after = int(np.searchsorted(frames, frame))
        if frames[after] == frame:
            return boxes[after]
        before = after - 1
        weight = (frame - frames[before]) / (frames[after] - frames[before])
        return (1 - weight) * boxes[before] + weight * boxes[after]


@dataclass(frozen=True, eq=False)
class LabelledClip:
    folder: Path
    meta: ClipMeta
    labels: ClipLabels

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def video_path(self) -> Path:
        return self.folder / self.meta.video


# -- reading -----------------------------------------------------------------
def find_clips(root: Path) -> list[Path]:
    """``root`` itself when it is a clip folder, else its sub-folders that are, by name."""
    root = Path(root)
    if not root.exists():
        raise ClipFormatError(f"{root} does not exist")
    if not root.is_dir():
        raise ClipFormatError(f"{root} is not a folder (expected a clip folder or a folder of clips)")
    if (root / META_FILE).is_file():
        return [root]
    clips = sorted(p for p in root.iterdir() if p.is_dir() and (p / META_FILE).is_file())
    if not clips:
        raise ClipFormatError(f"{root}: no labelled clips (folders with a {META_FILE})")
    return clips


def read_clip(folder: Path) -> LabelledClip:
    """Read and check one clip folder; ``ClipFormatError`` names the file (and line) of the first problem."""
    folder = Path(folder)
    meta = _read_meta(folder / META_FILE)
    if not (folder / meta.video).is_file():
        raise ClipFormatError(f"{folder / META_FILE}: video: {meta.video!r} is not a file in {folder}")
    labels = _read_labels(folder / LABELS_FILE, meta)
    _check_episode_people(folder / META_FILE, meta, labels)
    return LabelledClip(folder, meta, labels)


def _read_meta(path: Path) -> ClipMeta:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClipFormatError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClipFormatError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise ClipFormatError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ClipFormatError(f"{path}: expected a JSON object")
    try:
        return ClipMeta.model_validate(data)
    except ValidationError as exc:
        raise ClipFormatError(f"{path}: {_first_problem(exc)}") from None


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(map(str, first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def _read_labels(path: Path, meta: ClipMeta) -> ClipLabels:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClipFormatError(
            f"{path}: no such file (an unlabelled clip needs an empty {LABELS_FILE})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClipFormatError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    class_index = {name: i for i, name in enumerate(meta.classes)}
    frames: dict[int, FrameLabels] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ClipFormatError(f"{where}: not JSON: {exc.msg}") from None
        frame, labels = _parse_frame(record, class_index, meta, where)
        if frame in frames:
            raise ClipFormatError(f"{where}: frame {frame} is labelled twice")
        frames[frame] = labels
    return ClipLabels(meta.classes, frames)


def _parse_frame(
    record: Any, class_index: dict[str, int], meta: ClipMeta, where: str
) -> tuple[int, FrameLabels]:
    if not isinstance(record, dict) or set(record) - {"frame", "boxes"}:
        raise ClipFormatError(f'{where}: expected {{"frame": N, "boxes": [...]}}')
    frame = record.get("frame")
    if not isinstance(frame, int) or isinstance(frame, bool) or not 0 <= frame < meta.frames:
        raise ClipFormatError(f"{where}: frame must be an integer in 0..{meta.frames - 1}, got {frame!r}")
    boxes = record.get("boxes", [])
    if not isinstance(boxes, list):
        raise ClipFormatError(f"{where}: boxes must be a list")
    xyxy, class_id, person = [], [], []
    for box in boxes:
        if not isinstance(box, dict) or set(box) != {"id", "class", "xyxy"}:
            raise ClipFormatError(
                f'{where}: each box is {{"id": N, "class": NAME, "xyxy": [x1, y1, x2, y2]}}'
            )
        if box["class"] not in class_index:
            raise ClipFormatError(
                f"{where}: unknown class {box['class']!r} (clip classes: {', '.join(meta.classes)})"
            )
        if not isinstance(box["id"], int) or isinstance(box["id"], bool):
            raise ClipFormatError(f"{where}: id must be an integer, got {box['id']!r}")
        corners = box["xyxy"]
        if (
            not isinstance(corners, list)
            or len(corners) != 4
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in corners
            )
        ):
            raise ClipFormatError(f"{where}: xyxy must be 4 finite numbers, got {corners!r}")
        x1, y1, x2, y2 = corners
        if x2 <= x1 or y2 <= y1:
            raise ClipFormatError(f"{where}: box {corners} has no area (need x2 > x1 and y2 > y1)")
        xyxy.append(corners)
        class_id.append(class_index[box["class"]])
        person.append(box["id"])
    return frame, FrameLabels(np.asarray(xyxy, np.float32).reshape(-1, 4), class_id, person)


def _check_episode_people(path: Path, meta: ClipMeta, labels: ClipLabels) -> None:
    # The spatial half of the no_helmet matching needs the person's head in the episode's frames.
    for i, episode in enumerate(meta.episodes):
        if episode.type is not EventType.NO_HELMET:
            continue
        frames, _ = labels.bare_head_track(episode.person)  # type: ignore[arg-type]
        inside = (frames >= episode.start_frame) & (frames <= episode.end_frame)
        if not inside.any():
            raise ClipFormatError(
                f"{path}: episodes.{i}: person {episode.person} has no '{BARE_HEAD_CLASS}' box in "
                f"frames {episode.start_frame}..{episode.end_frame} of {LABELS_FILE}"
            )


# -- writing -----------------------------------------------------------------
def write_clip(folder: Path, meta: ClipMeta, frames: Mapping[int, FrameLabels]) -> None:
    """Write ``clip.json`` and ``labels.jsonl`` into ``folder`` (the video is written by the caller)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / META_FILE).write_text(
        meta.model_dump_json(indent=2, exclude_none=True) + "\n", encoding="utf-8"
    )
    with open(folder / LABELS_FILE, "w", encoding="utf-8") as fh:
        for index in sorted(frames):
            fh.write(json.dumps({"frame": index, "boxes": _boxes_json(frames[index], meta.classes)}) + "\n")


def _boxes_json(labels: FrameLabels, classes: tuple[str, ...]) -> list[dict]:
    return [
        {"id": int(person), "class": classes[int(cls)], "xyxy": [round(float(v), 2) for v in box]}
        for box, cls, person in zip(labels.xyxy, labels.class_id, labels.person)
    ]
