"""Sampling a camera's frames down to the configured rate."""

from __future__ import annotations

import pytest

from sitewatch.streams.sampling import RateSampler


def sampled(fps: float, arrivals: list[float]) -> list[float]:
    sampler = RateSampler(fps)
    return [t for t in arrivals if sampler.due(t)]


@pytest.mark.parametrize(
    ("fps", "camera_fps"), [(2, 10), (1, 25), (3, 25), (5, 5), (10, 5), (0.5, 15), (4, 30)]
)
def test_average_rate_is_the_configured_one(fps, camera_fps):
    seconds = 60
    arrivals = [i / camera_fps for i in range(camera_fps * seconds)]
    assert abs(len(sampled(fps, arrivals)) - min(fps, camera_fps) * seconds) <= 1


def test_jittery_frames_at_the_sampling_rate_are_all_taken():
    jitter = [0.01, -0.015, 0.0, 0.02, -0.01] * 20
    arrivals = [i * 0.2 + j for i, j in enumerate(jitter)]
    assert sampled(5, arrivals) == arrivals


def test_after_a_gap_it_restarts_instead_of_bursting():
    arrivals = [0.0, 0.1, 0.5, 0.6, 10.0, 10.1, 10.2, 10.5, 10.6]
    assert sampled(2, arrivals) == [0.0, 0.5, 10.0, 10.5]


def test_rejects_non_positive_rate():
    with pytest.raises(ValueError):
        RateSampler(0)
