"""Paths to optional test data and helpers that make synthetic data (importable from any test)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets" / "hardhat-workers"
DEMO_VIDEO = REPO / ".cache" / "demo" / "vtest.avi"
TINY_MODEL = REPO / "tests" / "detector" / "data" / "tiny-yolo.onnx"


def write_video(path: Path, frames: int, size=(160, 120), fps: float = 10.0, fourcc: str = "MJPG") -> Path:
    """A small synthetic video: a bright square moving over a dark gradient, frame number burnt in."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"cannot write {path}"
    base = np.tile(np.linspace(20, 80, w, dtype=np.uint8), (h, 1))
    for i in range(frames):
        image = cv2.cvtColor(base, cv2.COLOR_GRAY2BGR)
        x = (i * 4) % (w - 20)
        image[40:60, x : x + 20] = (40, 200, 240)
        cv2.putText(image, str(i), (5, h - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        writer.write(image)
    writer.release()
    return path
