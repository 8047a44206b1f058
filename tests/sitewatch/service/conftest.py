"""Fixtures for the live-service tests: site configs, a still clip cut from vtest.avi, free ports.

The still clip (one real frame of vtest.avi repeated) makes the shipped model
deterministic: every frame gives the same boxes, so tracks, and the events
they open, are stable across frames and across a restart. The thresholds are
set low on purpose: the shipped model is an early checkpoint, and these tests
are about the service's path, not the model's accuracy.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import cv2
import pytest
import yaml

from testdata import DEMO_VIDEO, demo_frame

STILL_FRAME_INDEX = 510  # several people in view; the interim model finds heads in it
SECRET = "hunter2Secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_rtsp_url() -> str:
    """A camera nobody serves, with credentials that must never show."""
    return f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/stream1"


def site_config(
    tmp_path: Path, cameras: list[dict], *, port: int | None = None, streams: dict | None = None, **rules
) -> Path:
    """A one-site config with thresholds low enough that the interim model alerts; returns its path.

    ``streams`` overrides the (already short) stream timeouts; the other keywords are ``no_helmet`` settings.
    """
    no_helmet = {"k": 1, "m": 1, "min_confidence": 0.05, "close_after_s": 600, "cooldown_s": 600, **rules}
    config = {
        "detector": {"confidence": 0.05, "tiles": "on", "threads": 1},
        "tracker": {"high_threshold": 0.05, "low_threshold": 0.01, "new_track_threshold": 0.05},
        # The still clip repeats one frame: nothing in it ever moves, so the
        # motion gate would hold back every head (tests/sitewatch/tracking/test_motion.py).
        "motion": {"enabled": False},
        "rules": {"no_helmet": no_helmet, "out_of_hours": {"enabled": False}},
        "streams": {
            "frozen_after_s": 0,
            "open_timeout_s": 3,
            "stale_after_s": 3,
            "backoff_cap_s": 5,
            **(streams or {}),
        },
        "store": {"url": f"sqlite:///{tmp_path / 'sitewatch.db'}"},
        "api": {"host": "127.0.0.1", "port": port or free_port()},
        "sites": [{"id": "yard", "name": "Test yard", "timezone": "UTC"}],
        "cameras": [{"site": "yard", "fps": 2, **c} for c in cameras],
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="session")
def still_clip(tmp_path_factory) -> Path:
    """4 s of one real frame of vtest.avi at 10 fps (skips when the demo clip is absent)."""
    image = demo_frame(STILL_FRAME_INDEX)
    path = tmp_path_factory.mktemp("clips") / "still.avi"
    size = (image.shape[1], image.shape[0])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, size)
    for _ in range(40):
        writer.write(image)
    writer.release()
    return path


@pytest.fixture
def demo_clip() -> Path:
    if not DEMO_VIDEO.exists():
        pytest.skip(f"demo clip {DEMO_VIDEO} absent (make demo fetches it)")
    return DEMO_VIDEO


@pytest.fixture
def make_config(tmp_path):
    """``make_config(cameras, port=None, **no_helmet)`` -> path of a config in the test's tmp dir."""
    return lambda cameras, **kwargs: site_config(tmp_path, cameras, **kwargs)


@pytest.fixture
def dead_camera_url() -> str:
    return closed_rtsp_url()


@pytest.fixture
def camera_secret() -> str:
    return SECRET


class HungServer:
    """A TCP listener that accepts every connection and never says a word: a hung NVR or camera."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hung-server", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"rtsp://admin:{SECRET}@127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self._listener.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        # Readers left inside OpenCV's open then fail at once instead of timing out one by one.
        self._stop.set()
        self._thread.join()
        self._listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_server():
    server = HungServer()
    yield server
    server.close()
