"""The batched box Kalman filter: conversions, convergence, and a well-formed covariance."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.tracking import kalman


@pytest.mark.parametrize(
    "xyxy",
    [
        [[0, 0, 10, 20]],
        [[5.5, 7.0, 105.5, 57.0], [100, 100, 140, 300]],
    ],
)
def test_xyxy_xyah_round_trip(xyxy):
    xyxy = np.array(xyxy, np.float64)
    assert np.allclose(kalman.xyah_to_xyxy(kalman.xyxy_to_xyah(xyxy)), xyxy)


def test_zero_height_box_stays_finite():
    xyah = kalman.xyxy_to_xyah(np.array([[10, 10, 20, 10]]))
    assert np.isfinite(xyah).all()
    mean, cov = kalman.initiate(xyah)
    mean, cov = kalman.predict(mean, cov)
    mean, cov = kalman.update(mean, cov, xyah)
    assert np.isfinite(mean).all() and np.isfinite(cov).all()


@pytest.mark.parametrize("velocity", [(0.0, 0.0), (3.0, -2.0), (10.0, 5.0)])
def test_learns_constant_velocity(velocity):
    # Two tracks at once, moving differently, to exercise the batching.
    v = np.array([velocity, (-velocity[0], 1.0)])
    start = np.array([[100.0, 200.0, 0.5, 80.0], [400.0, 100.0, 1.0, 40.0]])
    truth = start.copy()
    mean, cov = kalman.initiate(truth)
    for _ in range(40):
        truth[:, :2] += v
        mean, cov = kalman.predict(mean, cov)
        mean, cov = kalman.update(mean, cov, truth)
    assert np.allclose(mean[:, 4:6], v, atol=0.05)
    mean, _ = kalman.predict(mean, cov)
    assert np.allclose(mean[:, :2], truth[:, :2] + v, atol=0.1)
    assert np.allclose(cov, cov.transpose(0, 2, 1))
    assert (np.linalg.eigvalsh(cov) > 0).all()


def test_predict_widens_and_update_narrows_uncertainty():
    mean, cov = kalman.initiate(np.array([[50.0, 50.0, 1.0, 30.0]]))
    _, predicted = kalman.predict(mean, cov)
    assert (np.diagonal(predicted, axis1=1, axis2=2) >= np.diagonal(cov, axis1=1, axis2=2)).all()
    _, corrected = kalman.update(mean, predicted, mean[:, :4])
    assert np.trace(corrected[0]) < np.trace(predicted[0])


def test_empty_batch():
    mean, cov = kalman.initiate(np.zeros((0, 4)))
    mean, cov = kalman.predict(mean, cov)
    assert mean.shape == (0, 8) and cov.shape == (0, 8, 8)
