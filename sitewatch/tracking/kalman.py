"""A constant-velocity Kalman filter for boxes, run on many tracks at once.

The state of one track is ``(cx, cy, a, h, vcx, vcy, va, vh)``: box centre, aspect
ratio ``w / h``, height, and their per-frame velocities. Only the first four are
measured. Every function takes and returns stacked arrays, ``mean`` (T, 8) and
``covariance`` (T, 8, 8), so that a frame costs a few numpy calls however many
tracks there are.

Noise scales with the box height: a 1-pixel jitter matters for a 20-pixel head and
not for a 400-pixel person. The weights are the ones SORT-family trackers have
settled on (position 1/20 of the height per frame, velocity 1/160).
"""

from __future__ import annotations

import numpy as np

STATE_SIZE = 8
MEASURE_SIZE = 4

_POSITION_WEIGHT = 1.0 / 20.0
_VELOCITY_WEIGHT = 1.0 / 160.0
# Aspect ratio is unit-free, so its noise is a constant rather than a share of the height.
_ASPECT_PROCESS_STD = 1e-2
_ASPECT_VELOCITY_STD = 1e-5
_ASPECT_MEASURE_STD = 1e-1
# A zero-height box would make the noise, and so the innovation covariance, singular.
_MIN_NOISE_HEIGHT = 1.0

_TRANSITION = np.eye(STATE_SIZE)
_TRANSITION[:MEASURE_SIZE, MEASURE_SIZE:] = np.eye(MEASURE_SIZE)

_DIAG = np.arange(STATE_SIZE)
_MEASURE_DIAG = np.arange(MEASURE_SIZE)


def xyxy_to_xyah(xyxy: np.ndarray) -> np.ndarray:
    """Corner boxes (N, 4) -> measurements ``(cx, cy, w / h, h)`` (N, 4), float64."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    w = xyxy[:, 2] - xyxy[:, 0]
    h = xyxy[:, 3] - xyxy[:, 1]
    cx = xyxy[:, 0] + w / 2
    cy = xyxy[:, 1] + h / 2
    # Detections allow zero-height boxes; keep the aspect ratio finite for them.
    aspect = w / np.maximum(h, 1e-6)
    return np.stack([cx, cy, aspect, h], axis=1)


def xyah_to_xyxy(xyah: np.ndarray) -> np.ndarray:
    """The first four state values (N, >=4) -> corner boxes (N, 4), float64."""
    xyah = np.asarray(xyah, np.float64)
    # A lost track's predicted height can drift to or below zero; such a box overlaps nothing.
    h = np.maximum(xyah[:, 3], 0.0)
    w = np.maximum(xyah[:, 2] * h, 0.0)
    cx, cy = xyah[:, 0], xyah[:, 1]
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _noise_height(mean_or_measure: np.ndarray) -> np.ndarray:
    return np.maximum(mean_or_measure[:, 3], _MIN_NOISE_HEIGHT)


def initiate(measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start tracks at measurements (K, 4): zero velocity, velocity very uncertain."""
    measurement = np.asarray(measurement, np.float64).reshape(-1, MEASURE_SIZE)
    k = len(measurement)
    mean = np.concatenate([measurement, np.zeros((k, MEASURE_SIZE))], axis=1)
    h = _noise_height(measurement)
    pos = 2 * _POSITION_WEIGHT * h
    vel = 10 * _VELOCITY_WEIGHT * h
    std = np.stack(
        [pos, pos, np.full(k, _ASPECT_PROCESS_STD), pos, vel, vel, np.full(k, _ASPECT_VELOCITY_STD), vel],
        axis=1,
    )
    covariance = np.zeros((k, STATE_SIZE, STATE_SIZE))
    covariance[:, _DIAG, _DIAG] = std**2
    return mean, covariance


def predict(mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Advance every track one frame; returns new arrays."""
    k = len(mean)
    h = _noise_height(mean)
    pos = _POSITION_WEIGHT * h
    vel = _VELOCITY_WEIGHT * h
    std = np.stack(
        [pos, pos, np.full(k, _ASPECT_PROCESS_STD), pos, vel, vel, np.full(k, _ASPECT_VELOCITY_STD), vel],
        axis=1,
    )
    new_mean = mean @ _TRANSITION.T
    new_covariance = _TRANSITION @ covariance @ _TRANSITION.T
    new_covariance[:, _DIAG, _DIAG] += std**2
    return new_mean, new_covariance


def update(
    mean: np.ndarray, covariance: np.ndarray, measurement: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Correct tracks (K, 8) / (K, 8, 8) with their matched measurements (K, 4)."""
    measurement = np.asarray(measurement, np.float64).reshape(-1, MEASURE_SIZE)
    k = len(mean)
    h = _noise_height(mean)
    pos = _POSITION_WEIGHT * h
    measure_std = np.stack([pos, pos, np.full(k, _ASPECT_MEASURE_STD), pos], axis=1)
    # The measurement picks the first four state values, so H P H^T and P H^T are slices.
    innovation_cov = covariance[:, :MEASURE_SIZE, :MEASURE_SIZE].copy()
    innovation_cov[:, _MEASURE_DIAG, _MEASURE_DIAG] += measure_std**2
    cross_cov = covariance[:, :, :MEASURE_SIZE]  # (K, 8, 4)
    # gain = P H^T S^-1, computed as solve(S, (P H^T)^T)^T since S is symmetric.
    gain = np.linalg.solve(innovation_cov, cross_cov.transpose(0, 2, 1)).transpose(0, 2, 1)
    innovation = measurement - mean[:, :MEASURE_SIZE]
    new_mean = mean + np.einsum("kij,kj->ki", gain, innovation)
    new_covariance = covariance - gain @ innovation_cov @ gain.transpose(0, 2, 1)
    # Keep the covariance symmetric so rounding errors do not build up over long tracks.
    new_covariance = (new_covariance + new_covariance.transpose(0, 2, 1)) / 2
    return new_mean, new_covariance
