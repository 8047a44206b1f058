"""Fit a picture into the model's input, and map boxes back out of it.

The geometry follows Ultralytics' ``LetterBox`` (aspect kept, linear resize,
grey 114 padding split evenly with the same rounding), so a square letterbox
here feeds the model the same pixels as ``YOLO.predict`` with a fixed imgsz.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a frame region sits in one model input: ``input = frame * scale + shift``.

    The same form covers a letterboxed whole frame (scale < 1 or > 1, shift =
    padding) and a tile cut at full resolution (scale 1, shift = padding minus
    the tile's origin in the frame).
    """

    scale_x: float
    scale_y: float
    shift_x: float
    shift_y: float

    def to_input(self, xyxy: np.ndarray) -> np.ndarray:
        """Frame pixel boxes (N, 4) -> model input pixel boxes."""
        return np.asarray(xyxy, np.float32) * self.scale_xyxy + self.shift_xyxy

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Model input pixel boxes (N, 4) -> frame pixel boxes (not clipped)."""
        return (np.asarray(xyxy, np.float32) - self.shift_xyxy) / self.scale_xyxy

    @property
    def scale_xyxy(self) -> np.ndarray:
        return np.array([self.scale_x, self.scale_y, self.scale_x, self.scale_y], np.float32)

    @property
    def shift_xyxy(self) -> np.ndarray:
        return np.array([self.shift_x, self.shift_y, self.shift_x, self.shift_y], np.float32)


@dataclass(frozen=True, slots=True)
class LetterboxGeometry:
    """Resized size and padding (left, top, right, bottom) of a letterbox."""

    resized_w: int
    resized_h: int
    left: int
    top: int
    right: int
    bottom: int

    def placement(self, width: int, height: int) -> Placement:
        # Per-axis scale from the integer resized size: exact for the pixels
        # the model saw, where a single gain would be off by a rounding.
        return Placement(self.resized_w / width, self.resized_h / height, float(self.left), float(self.top))


def letterbox_geometry(
    width: int, height: int, target_h: int, target_w: int, *, scaleup: bool = True
) -> LetterboxGeometry:
    """Size and padding that fit a ``width`` x ``height`` picture into ``target_w`` x ``target_h``."""
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot letterbox an empty picture ({width}x{height})")
    gain = min(target_h / height, target_w / width)
    if not scaleup:
        gain = min(gain, 1.0)
    # Python's round (half to even) and the -/+0.1 split mirror Ultralytics,
    # so an odd padding puts the extra pixel on the same side.
    resized_w, resized_h = round(width * gain), round(height * gain)
    pad_w, pad_h = (target_w - resized_w) / 2, (target_h - resized_h) / 2
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    return LetterboxGeometry(resized_w, resized_h, left, top, right, bottom)


def letterbox(
    image: np.ndarray, target_h: int, target_w: int, *, scaleup: bool = True
) -> tuple[np.ndarray, Placement]:
    """Resize ``image`` (keeping its aspect) and pad it to ``target_h`` x ``target_w``.

    Returns the picture and the placement that maps its boxes back to
    ``image``'s pixels. ``scaleup=False`` never enlarges (tiles are cut at full
    resolution and only padded). A picture that already fits exactly is
    returned as is, without a copy.
    """
    height, width = image.shape[:2]
    geometry = letterbox_geometry(width, height, target_h, target_w, scaleup=scaleup)
    fitted = image
    if (geometry.resized_w, geometry.resized_h) != (width, height):
        fitted = cv2.resize(image, (geometry.resized_w, geometry.resized_h), interpolation=cv2.INTER_LINEAR)
    if geometry.left or geometry.top or geometry.right or geometry.bottom:
        fitted = cv2.copyMakeBorder(
            fitted,
            geometry.top,
            geometry.bottom,
            geometry.left,
            geometry.right,
            cv2.BORDER_CONSTANT,
            value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
        )
    return fitted, geometry.placement(width, height)
