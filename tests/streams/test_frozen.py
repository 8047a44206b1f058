"""Frozen picture detection on synthetic frames."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.streams.frozen import FrozenDetector, thumbnail

RNG = np.random.default_rng(6)
SCENE = RNG.integers(0, 256, (720, 1280, 3), dtype=np.uint8)


def noisy(image: np.ndarray, amplitude: int) -> np.ndarray:
    noise = RNG.integers(-amplitude, amplitude + 1, image.shape)
    return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def with_person(image: np.ndarray, x: int) -> np.ndarray:
    out = image.copy()
    out[300:420, x : x + 40] = 30  # a dark figure about 40 px wide
    return out


def run(detector: FrozenDetector, frames: list[np.ndarray], step_s: float = 1.0) -> list[bool]:
    flags = []
    for i, image in enumerate(frames):
        detector.update(image, i * step_s)
        flags.append(detector.is_frozen(i * step_s))
    return flags


@pytest.mark.parametrize(
    ("make_frame", "frozen_from"),
    [
        (lambda i: SCENE, 5),  # identical frames: frozen once 5 s passed
        (lambda i: noisy(SCENE, 3), 5),  # encoder/sensor noise is not change
        (lambda i: with_person(SCENE, 100 + 30 * i), None),  # someone walking keeps it live
        (lambda i: np.full((720, 1280, 3), (i * 10) % 256, np.uint8), None),  # brightness changes
    ],
)
def test_frozen_only_when_the_picture_stays_the_same(make_frame, frozen_from):
    flags = run(FrozenDetector(5.0), [make_frame(i) for i in range(10)])
    expected = [frozen_from is not None and i >= frozen_from for i in range(10)]
    assert flags == expected


def test_a_change_restarts_the_clock():
    frames = [SCENE] * 4 + [with_person(SCENE, 600)] * 4
    assert run(FrozenDetector(3.0), frames) == [False, False, False, True, False, False, False, True]


def test_zero_turns_detection_off():
    assert not any(run(FrozenDetector(0.0), [SCENE] * 10))


def test_reference_survives_restart_so_a_still_frozen_camera_is_recognised():
    detector = FrozenDetector(3.0)
    run(detector, [SCENE] * 5)
    detector.restart()  # reconnected
    assert detector.update(SCENE, 100.0) is False  # same picture as before: no change
    assert not detector.is_frozen(101.0) and detector.is_frozen(103.0)
    assert detector.update(with_person(SCENE, 10), 104.0) is True


def test_frames_of_any_size_compare():
    detector = FrozenDetector(1.0)
    detector.update(SCENE, 0.0)
    small = np.ascontiguousarray(SCENE[::4, ::4])
    detector.update(small, 1.0)  # a new resolution after a reconnect must not raise
    assert thumbnail(small).shape == thumbnail(SCENE).shape == (36, 64)
