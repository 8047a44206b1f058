"""The root of the configuration: one model that holds every section."""

from pydantic import ConfigDict, ValidationInfo, field_validator

from sitewatch.config.api import ApiSettings
from sitewatch.config.base import Section
from sitewatch.config.cameras import CameraSettings
from sitewatch.config.crossrefs import check_cameras, check_permits, check_sites
from sitewatch.config.detector import DetectorSettings
from sitewatch.config.fixtures import FixtureSettings
from sitewatch.config.motion import MotionSettings
from sitewatch.config.permits import PermitSettings
from sitewatch.config.push import PushSettings
from sitewatch.config.rules import RulesSettings
from sitewatch.config.sites import SiteSettings
from sitewatch.config.store import StoreSettings
from sitewatch.config.streams import StreamSettings
from sitewatch.config.tracker import TrackerSettings


class Settings(Section):
    # Pydantic copies a failing input into its error text; camera URLs and secrets must not be.
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    detector: DetectorSettings = DetectorSettings()
    tracker: TrackerSettings = TrackerSettings()
    fixtures: FixtureSettings = FixtureSettings()
    motion: MotionSettings = MotionSettings()
    rules: RulesSettings = RulesSettings()
    store: StoreSettings = StoreSettings()
    api: ApiSettings = ApiSettings()
    push: PushSettings = PushSettings()
    streams: StreamSettings = StreamSettings()
    # Sites before cameras and permits: their validators look the sites up.
    sites: tuple[SiteSettings, ...] = ()
    cameras: tuple[CameraSettings, ...] = ()
    permits: tuple[PermitSettings, ...] = ()

    @field_validator("sites")
    @classmethod
    def _unique_sites(cls, sites: tuple[SiteSettings, ...]) -> tuple[SiteSettings, ...]:
        check_sites(sites)
        return sites

    @field_validator("cameras")
    @classmethod
    def _cameras_on_known_sites(cls, cameras: tuple[CameraSettings, ...], info: ValidationInfo):
        check_cameras(cameras, info.data.get("sites"))
        return cameras

    @field_validator("permits")
    @classmethod
    def _permits_for_known_sites(cls, permits: tuple[PermitSettings, ...], info: ValidationInfo):
        check_permits(permits, info.data.get("sites"))
        return permits
