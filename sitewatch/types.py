"""The values every pipeline stage takes and returns: ``Frame`` and ``Detections``.

Both are frozen. A stage never edits what it was given; it returns a new value
(``Detections.with_tracker_id``, indexing, ``merge``). Arrays inside are marked
read-only so that an accidental in-place write fails loudly instead of
corrupting a value another stage still holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture from one source.

    ``image`` is BGR uint8 (H, W, 3), as OpenCV decodes it; ``timestamp`` is the
    wall-clock time the picture shows (timezone-aware); ``index`` counts frames
    read from the source, from 0, including frames that were not scored.
    """

    source_id: str
    image: np.ndarray
    timestamp: datetime
    index: int

    def __post_init__(self) -> None:
        if not self.source_id:
            raise ValueError("Frame.source_id must not be empty")
        if self.timestamp.tzinfo is None or self.timestamp.utcoffset() is None:
            raise ValueError("Frame.timestamp must be timezone-aware")
        if self.timestamp.tzinfo is not UTC:
            # Kept in UTC: Python subtracts and compares two times of one zone on their wall
            # clocks, so across a DST change the rules would see a second as an hour, or less
            # than nothing. Local times are for display, made from the site's zone.
            object.__setattr__(self, "timestamp", self.timestamp.astimezone(UTC))
        if self.index < 0:
            raise ValueError(f"Frame.index must be >= 0, got {self.index}")
        image = self.image
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            shape = getattr(image, "shape", None)
            dtype = getattr(image, "dtype", None)
            raise ValueError(f"Frame.image must be a uint8 (H, W, 3) BGR array, got {dtype} {shape}")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


@dataclass(frozen=True, slots=True, eq=False)
class Detections:
    """N boxes in one frame, stored column by column.

    - ``xyxy``: float32 (N, 4), pixel corners in the frame's coordinates;
    - ``confidence``: float32 (N,), in [0, 1];
    - ``class_id``: int32 (N,), indices into ``class_names``;
    - ``tracker_id``: int64 (N,) or None before tracking (-1 = not tracked);
    - ``class_names``: the model's class names, shared by all rows.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    class_names: tuple[str, ...]
    tracker_id: np.ndarray | None = None

    def __post_init__(self) -> None:
        xyxy = np.ascontiguousarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(xyxy)
        confidence = np.ascontiguousarray(self.confidence, dtype=np.float32).reshape(-1)
        class_id = np.ascontiguousarray(self.class_id, dtype=np.int32).reshape(-1)
        names = tuple(self.class_names)
        if len(confidence) != n or len(class_id) != n:
            raise ValueError(
                f"Detections columns differ in length: xyxy {n}, confidence {len(confidence)}, "
                f"class_id {len(class_id)}"
            )
        if n:
            if not np.isfinite(xyxy).all():
                raise ValueError("Detections.xyxy must be finite")
            if (xyxy[:, 2] < xyxy[:, 0]).any() or (xyxy[:, 3] < xyxy[:, 1]).any():
                raise ValueError("Detections.xyxy must have x2 >= x1 and y2 >= y1")
            if (confidence < 0).any() or (confidence > 1).any() or not np.isfinite(confidence).all():
                raise ValueError("Detections.confidence must lie in [0, 1]")
            if (class_id < 0).any() or (class_id >= len(names)).any():
                raise ValueError(f"Detections.class_id must index class_names ({len(names)} names)")
        tracker_id = self.tracker_id
        if tracker_id is not None:
            tracker_id = np.ascontiguousarray(tracker_id, dtype=np.int64).reshape(-1)
            if len(tracker_id) != n:
                raise ValueError(f"Detections.tracker_id has {len(tracker_id)} rows, expected {n}")
            tracker_id = _readonly(tracker_id)
        object.__setattr__(self, "xyxy", _readonly(xyxy))
        object.__setattr__(self, "confidence", _readonly(confidence))
        object.__setattr__(self, "class_id", _readonly(class_id))
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "tracker_id", tracker_id)

    # -- construction -------------------------------------------------------
    @classmethod
    def empty(cls, class_names: Sequence[str]) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), tuple(class_names))

    @classmethod
    def merge(cls, parts: Iterable[Detections]) -> Detections:
        """Concatenate detections of one frame that share class names."""
        parts = list(parts)
        if not parts:
            raise ValueError("Detections.merge needs at least one part")
        names = parts[0].class_names
        if any(p.class_names != names for p in parts):
            raise ValueError("Detections.merge: parts have different class names")
        tracked = [p.tracker_id is not None for p in parts]
        if any(tracked) and not all(tracked):
            raise ValueError("Detections.merge: cannot mix tracked and untracked parts")
        return cls(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.confidence for p in parts]),
            np.concatenate([p.class_id for p in parts]),
            names,
            np.concatenate([p.tracker_id for p in parts]) if all(tracked) else None,
        )

    # -- derived values -----------------------------------------------------
    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice | int | Sequence[int]) -> Detections:
        """Select rows by boolean mask, index array, slice or single int."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            self.class_names,
            None if self.tracker_id is None else self.tracker_id[index],
        )

    def with_tracker_id(self, tracker_id: np.ndarray) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, self.class_names, tracker_id)

    def class_mask(self, *names: str) -> np.ndarray:
        """Boolean mask of rows whose class is one of ``names`` (unknown names match nothing)."""
        ids = [self.class_names.index(n) for n in names if n in self.class_names]
        return np.isin(self.class_id, ids)

    def of_class(self, *names: str) -> Detections:
        return self[self.class_mask(*names)]

    @property
    def names(self) -> list[str]:
        return [self.class_names[i] for i in self.class_id]

    @property
    def area(self) -> np.ndarray:
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])

    @property
    def centers(self) -> np.ndarray:
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, (self.xyxy[:, 1] + self.xyxy[:, 3]) / 2], axis=1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Detections):
            return NotImplemented
        same_track = (self.tracker_id is None and other.tracker_id is None) or (
            self.tracker_id is not None
            and other.tracker_id is not None
            and np.array_equal(self.tracker_id, other.tracker_id)
        )
        return (
            self.class_names == other.class_names
            and np.array_equal(self.xyxy, other.xyxy)
            and np.array_equal(self.confidence, other.confidence)
            and np.array_equal(self.class_id, other.class_id)
            and same_track
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking arrays: not hashable


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of xyxy boxes: (N, 4) x (M, 4) -> (N, M)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(br - tl, 0, None).prod(axis=2)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)
