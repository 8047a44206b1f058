"""Build the runtime components from ``Settings`` (once, at the entry point).

Batch scoring and the live service both get their per-camera pipelines from
``make_pipeline_factory``, so the same rules run with the same code in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from sitewatch.cli.errors import UserError
from sitewatch.config import Settings
from sitewatch.config.cameras import CameraSettings
from sitewatch.config.detector import DetectorSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.config.tracker import TrackerSettings
from sitewatch.pipeline import CameraPipeline
from sitewatch.rules.base import Rule
from sitewatch.rules.no_helmet import NoHelmetRule
from sitewatch.rules.out_of_hours import OutOfHoursRule
from sitewatch.rules.zones import ZoneFilter
from sitewatch.tracking import ByteTrack
from sitewatch.tracking.bytetrack import DEFAULT_CLASS_GROUPS
from sitewatch.tracking.fixtures import FixtureFilter
from sitewatch.tracking.motion import MotionGate
from sitewatch.tracking.twins import TwinFilter


def local_timezone() -> tzinfo:
    return datetime.now().astimezone().tzinfo  # type: ignore[return-value]


@dataclass(frozen=True)
class CameraContext:
    """What the config says about the camera a video or stream comes from."""

    camera: CameraSettings | None = None
    site: SiteSettings | None = None
    timezone: tzinfo = field(default_factory=local_timezone)

    @property
    def site_id(self) -> str | None:
        return self.site.id if self.site is not None else None


def camera_context(settings: Settings, camera_id: str | None) -> CameraContext:
    """The configured camera ``camera_id`` with its site; an empty context for None.

    With no ``camera_id`` and a config of exactly one camera, that camera is
    meant: a site config written for one camera needs no extra flag.
    """
    cameras = {c.id: c for c in settings.cameras}
    if camera_id is None:
        if len(cameras) != 1:
            return CameraContext()
        camera_id = next(iter(cameras))
    camera = cameras.get(camera_id)
    if camera is None:
        known = ", ".join(sorted(cameras)) or "none configured"
        raise UserError(f"camera {camera_id!r} is not in the configuration (cameras: {known})")
    site = next(s for s in settings.sites if s.id == camera.site)
    return CameraContext(camera, site, site.zone)


def detector_settings(
    settings: Settings,
    camera: CameraSettings | None = None,
    tiles: str | None = None,
    zoom: float | None = None,
) -> DetectorSettings:
    """The detector section for one camera: ``tiles`` and ``zoom`` (command line) beat the camera's,
    which beat the section's."""
    tiles = tiles or (camera.tiles if camera is not None else None)
    zoom = zoom or (camera.zoom if camera is not None else None)
    update = {k: v for k, v in (("tiles", tiles), ("zoom", zoom)) if v is not None}
    return settings.detector.model_copy(update=update) if update else settings.detector


def build_detector(
    settings: Settings,
    model: Path | None = None,
    tiles: str | None = None,
    camera=None,
    zoom: float | None = None,
    *,
    recorded: bool = False,
):
    """The shared detector, set up by ``detector_settings``; ``recorded``: for recorded video, whose
    default is one stream per thread (``DetectorSettings.streams_for``)."""
    from sitewatch.detector import ModelError, OnnxDetector
    from sitewatch.models import default_model_path

    path = model or settings.detector.model or default_model_path()
    try:
        return OnnxDetector.from_settings(
            detector_settings(settings, camera, tiles, zoom), Path(path), recorded=recorded
        )
    except ModelError as exc:
        raise UserError(str(exc)) from None


def tracker_settings(settings: Settings, camera: CameraSettings | None) -> TrackerSettings:
    """The camera's own tracker section where it has one, else the config's."""
    return camera.tracker if camera is not None and camera.tracker is not None else settings.tracker


def make_pipeline_factory(settings: Settings, context: CameraContext) -> Callable[[str], CameraPipeline]:
    """Per-source pipelines: tracker, the camera's zones, and every rule that applies."""

    def make(source_id: str) -> CameraPipeline:
        rules: list[Rule] = [NoHelmetRule(source_id, settings.rules.no_helmet, site_id=context.site_id)]
        if context.site is not None:
            rules.append(OutOfHoursRule(source_id, context.site, settings.permits, settings.rules.out_of_hours))
        zone_filter = ZoneFilter.for_camera(context.camera)
        tracking = tracker_settings(settings, context.camera)
        return CameraPipeline(
            source_id,
            ByteTrack(tracking),
            rules,
            None if zone_filter.keeps_everything else zone_filter,
            FixtureFilter(settings.fixtures) if settings.fixtures.enabled else None,
            TwinFilter(DEFAULT_CLASS_GROUPS, tracking.twin_iou) if tracking.twin_iou < 1.0 else None,
            MotionGate(settings.motion) if settings.motion.enabled else None,
        )

    return make
