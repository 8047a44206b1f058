"""One shared detector per distinct tile mode and zoom: most sites need exactly one.

Cameras normally share one ``OnnxDetector`` (one model in memory, frames of
several cameras scored in one batch). A camera whose ``tiles`` or ``zoom``
setting differs from the detector section's needs an instance configured that
way; cameras with the same effective settings share it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sitewatch.config import Settings
from sitewatch.wiring import build_detector, detector_settings

log = logging.getLogger("sitewatch.service")


def build_detectors(settings: Settings, model: Path | None = None) -> dict[str, object]:
    """Camera id -> detector, with one instance per distinct (tile mode, zoom)."""
    by_mode: dict[tuple[str, float], object] = {}
    by_camera: dict[str, object] = {}
    for camera in settings.cameras:
        effective = detector_settings(settings, camera)
        mode = (effective.tiles, effective.zoom)
        if mode not in by_mode:
            detector = build_detector(settings, model, camera=camera)
            # Which engine and precision run the model is worth a line: bf16 falls back to f32 silently.
            log.info(
                "detector: %s on %s (tiles %s, zoom %g, %d of %d threads a run)",
                detector.model_name,
                detector.engine,
                *mode,
                effective.threads // detector.streams,
                effective.threads,
            )
            by_mode[mode] = detector
        by_camera[camera.id] = by_mode[mode]
    return by_camera
