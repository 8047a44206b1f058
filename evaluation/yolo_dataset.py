"""Read one split of a YOLO-format data set as pixel ground truth.

A YOLO data set is described by a ``data.yaml`` (Ultralytics' layout)::

    path: .                # root; relative to the yaml's folder
    train: train/images    # a folder, a .txt list of images, or a list of either
    val: valid/images
    test: test/images
    names: {0: head, 1: helmet, 2: person}

Each image ``.../images/x.jpg`` has a label file ``.../labels/x.txt`` with one
object a line: ``class cx cy w h``, normalised to 0..1 by the image size. A line
with more values is a polygon ``class x1 y1 x2 y2 ...``; its bounding box is the
ground truth. A missing or empty label file means "no objects in this image".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

IMAGE_SUFFIXES = frozenset({".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"})
# Roboflow exports name the folder "valid" while data.yaml keys it "val".
SPLIT_ALIASES = {"valid": "val", "validation": "val"}


class DatasetError(ValueError):
    """A data set that cannot be read as asked; the message is meant for the user."""


@dataclass(frozen=True)
class YoloSplit:
    """The images of one split and the class names of the data set they belong to."""

    data_yaml: Path
    split: str
    class_names: tuple[str, ...]
    images: tuple[Path, ...]


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The labelled boxes of one image: xyxy float32 (N, 4) in pixels, class_id int32 (N,)."""

    xyxy: np.ndarray
    class_id: np.ndarray
    width: int
    height: int

    def __post_init__(self) -> None:
        xyxy = np.ascontiguousarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        class_id = np.ascontiguousarray(self.class_id, dtype=np.int32).reshape(-1)
        if len(xyxy) != len(class_id):
            raise ValueError(f"GroundTruth has {len(xyxy)} boxes but {len(class_id)} class ids")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"GroundTruth image size must be positive, got {self.width}x{self.height}")
        xyxy.flags.writeable = False
        class_id.flags.writeable = False
        object.__setattr__(self, "xyxy", xyxy)
        object.__setattr__(self, "class_id", class_id)

    def __len__(self) -> int:
        return len(self.xyxy)


def find_data_yaml(data: Path) -> Path:
    """``data`` itself if it is a yaml file, else the ``data.yaml`` inside the folder ``data``."""
    if data.is_file():
        if data.suffix.lower() not in {".yaml", ".yml"}:
            raise DatasetError(f"{data} is not a data.yaml (expected a .yaml file or the folder holding one)")
        return data
    if data.is_dir():
        for name in ("data.yaml", "data.yml"):
            if (data / name).is_file():
                return data / name
        raise DatasetError(f"no data.yaml in {data}")
    raise DatasetError(f"{data} does not exist")


def _class_names(spec: Mapping, data_yaml: Path) -> tuple[str, ...]:
    names = spec.get("names")
    if isinstance(names, Mapping):
        try:
            keys = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            raise DatasetError(f"{data_yaml}: 'names' keys must be class indices 0..N-1") from None
        if keys != list(range(len(keys))):
            raise DatasetError(f"{data_yaml}: 'names' keys must be 0..{len(keys) - 1} without gaps")
        return tuple(str(names[k] if k in names else names[str(k)]) for k in keys)
    if isinstance(names, list) and names:
        return tuple(str(n) for n in names)
    raise DatasetError(f"{data_yaml}: 'names' must list the class names")


def _images_in(entry: Path, data_yaml: Path, split: str) -> list[Path]:
    if entry.is_dir():
        return sorted(p for p in entry.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if entry.is_file() and entry.suffix.lower() == ".txt":
        # An image list: one path a line; relative paths are relative to the list's folder.
        try:
            text = entry.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror or exc
            raise DatasetError(f"{data_yaml}: cannot read the {split!r} image list {entry}: {reason}") from None
        listed = []
        for line in text.splitlines():
            line = line.strip()
            if line:
                path = Path(line)
                listed.append(path if path.is_absolute() else (entry.parent / path).resolve())
        return listed
    raise DatasetError(
        f"{data_yaml}: split {split!r} points at {entry}, which is neither a folder nor a .txt list"
    )


def load_split(data: Path, split: str) -> YoloSplit:
    """List the images of ``split`` ("train", "val"/"valid" or "test") of the data set ``data``.

    ``data`` is a data.yaml or the folder holding one.
    """
    data_yaml = find_data_yaml(Path(data))
    try:
        spec = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    except UnicodeDecodeError:  # a ValueError, not an OSError: a binary file named .yaml
        raise DatasetError(f"cannot read {data_yaml}: not UTF-8 text") from None
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetError(f"cannot read {data_yaml}: {exc}".splitlines()[0]) from None
    if not isinstance(spec, Mapping):
        raise DatasetError(
            f"{data_yaml} is not a YOLO data.yaml (expected a mapping with 'names' and splits)"
        )
    class_names = _class_names(spec, data_yaml)
    key = SPLIT_ALIASES.get(split, split)
    entries = spec.get(key)
    if not entries:
        present = [s for s in ("train", "val", "test") if spec.get(s)]
        raise DatasetError(f"{data_yaml} has no {split!r} split (it has: {', '.join(present) or 'none'})")
    root = Path(str(spec.get("path") or "."))  # a number here is a folder name, not a crash
    if not root.is_absolute():
        root = data_yaml.parent / root
    images: list[Path] = []
    for entry in entries if isinstance(entries, list) else [entries]:
        path = Path(str(entry))
        images.extend(_images_in(path if path.is_absolute() else root / path, data_yaml, split))
    if not images:
        raise DatasetError(f"{data_yaml}: split {split!r} has no images")
    return YoloSplit(data_yaml=data_yaml, split=key, class_names=class_names, images=tuple(images))


def label_path_for(image: Path) -> Path:
    """The label file of ``image``: the last ``images`` folder in its path swapped for ``labels``."""
    parts = list(image.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    # Images and labels side by side (a flat folder) is the only other layout in use.
    return image.with_suffix(".txt")


def parse_yolo_labels(text: str, num_classes: int, source: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """Parse YOLO label text into (class_id int32 (N,), normalised xyxy float32 (N, 4)).

    Exact duplicate lines are dropped (Ultralytics does the same, so a labelling
    slip does not count one object twice).
    """
    class_ids: list[int] = []
    boxes: list[tuple[float, float, float, float]] = []
    seen: set[tuple[str, ...]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        fields = tuple(line.split())
        if not fields or fields in seen:
            continue
        seen.add(fields)
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise DatasetError(f"{source}:{number}: not numbers: {line.strip()[:60]!r}") from None
        cls = values[0]
        if cls != int(cls) or not 0 <= cls < num_classes:
            raise DatasetError(f"{source}:{number}: class {fields[0]} is not one of 0..{num_classes - 1}")
        coords = np.asarray(values[1:])
        if len(coords) == 4:
            cx, cy, w, h = coords
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        elif len(coords) >= 6 and len(coords) % 2 == 0:
            xs, ys = coords[0::2], coords[1::2]
            box = (xs.min(), ys.min(), xs.max(), ys.max())
        else:
            raise DatasetError(
                f"{source}:{number}: expected 'class cx cy w h' or a polygon, got {len(fields)} values"
            )
        if not np.isfinite(box).all():
            raise DatasetError(f"{source}:{number}: coordinates must be finite")
        class_ids.append(int(cls))
        boxes.append(box)
    xyxy = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    # Boxes that poke out of the picture by rounding are clipped to it, as a detector's would be.
    return np.asarray(class_ids, dtype=np.int32), np.clip(xyxy, 0.0, 1.0)


def to_pixels(normalised_xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale normalised xyxy boxes (N, 4) to pixels of a ``width`` x ``height`` image."""
    scale = np.array([width, height, width, height], dtype=np.float32)
    return np.asarray(normalised_xyxy, dtype=np.float32).reshape(-1, 4) * scale


def load_ground_truth(image: Path, width: int, height: int, num_classes: int) -> GroundTruth:
    """The pixel ground truth of ``image`` (``width`` x ``height``) from its YOLO label file."""
    label = label_path_for(image)
    try:
        text = label.read_text()
    except FileNotFoundError:
        text = ""  # an unlabelled image is a background image: no objects
    except OSError as exc:
        raise DatasetError(f"cannot read {label}: {exc.strerror}") from None
    class_id, xyxy = parse_yolo_labels(text, num_classes, source=str(label))
    return GroundTruth(to_pixels(xyxy, width, height), class_id, width, height)
