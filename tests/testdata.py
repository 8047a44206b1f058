"""Paths to optional test data and helpers that make synthetic data (importable from any test)."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets" / "hardhat-workers"
DEMO_VIDEO = REPO / ".cache" / "demo" / "vtest.avi"
TINY_MODEL = REPO / "tests" / "detector" / "data" / "tiny-yolo.onnx"
TINY_STATIC_MODEL = TINY_MODEL.with_name("tiny-yolo-static.onnx")  # fixed 1x3x96x128 input
TINY_NAMES = ("head", "helmet", "person")
# The random tiny models score every anchor about 0.004 or 0.0003; a threshold
# between the two keeps a few hundred boxes a frame, enough to exercise NMS.
TINY_LOW_CONFIDENCE = 0.001


def noise_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A BGR picture of random pixels with one flat patch, for some structure."""
    picture = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    picture[height // 4 : height // 2, width // 3 : width // 2] = (30, 200, 240)
    return picture


class ConcurrentCalls:
    """Calls ``call`` and counts: ``most`` is the most threads that were inside it at once."""

    def __init__(self, call):
        self.call = call
        self.most = 0
        self._inside = 0
        self._guard = threading.Lock()

    def __call__(self, *args):
        with self._guard:
            self._inside += 1
            self.most = max(self.most, self._inside)
        try:
            return self.call(*args)
        finally:
            with self._guard:
                self._inside -= 1


def write_text_model(tmp_path: Path) -> Path:
    """``model.onnx`` holding a line of text: not a model."""
    path = tmp_path / "model.onnx"
    path.write_text("this is not a model\n")
    return path


def write_empty_model(tmp_path: Path) -> Path:
    """``empty.onnx``, zero bytes."""
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    return path


def demo_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the demo clip, vtest.avi; skips the test where the clip is absent."""
    import pytest

    if not DEMO_VIDEO.exists():
        pytest.skip(f"demo clip {DEMO_VIDEO} absent (make demo and make test fetch it)")
    video = cv2.VideoCapture(str(DEMO_VIDEO))
    video.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = video.read()
    video.release()
    assert ok, f"{DEMO_VIDEO}: cannot read frame {index}"
    return frame


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


def event_change(
    kind: str,
    source: str,
    type_,
    start,
    end,
    *,
    site_id: str | None,
    start_frame: int,
    end_frame: int,
    evidence_frame: int,
    evidence_at,
    evidence_box: tuple[float, float, float, float],
    confidence: float,
    image: np.ndarray,
    track_id: int,
    people: int,
):
    """An ``EventChange`` for store and API tests: every field given, ids derived as the rules derive them.

    The suites wrap this with their own defaults (tests/api/conftest.py,
    tests/sitewatch/store/conftest.py); ``track_id`` applies to no_helmet
    events and ``people`` to out_of_hours ones, as the rules fill them.
    """
    from sitewatch.events import ChangeKind, Event, EventChange, EventType, Evidence, event_id_for

    helmet = type_ is EventType.NO_HELMET
    event = Event(
        event_id=event_id_for(source, type_, start),
        type=type_,
        source=source,
        start=start,
        end=end,
        start_frame=start_frame,
        end_frame=end_frame,
        evidence=Evidence(evidence_frame, evidence_at, evidence_box, confidence, image),
        track_id=track_id if helmet else None,
        closed=kind == "closed",
        site_id=site_id,
        people=None if helmet else people,
    )
    return EventChange(ChangeKind(kind), event)
