"""The root of the configuration: one model that holds every section."""

from sitewatch.config.base import Section
from sitewatch.config.detector import DetectorSettings
from sitewatch.config.rules import RulesSettings
from sitewatch.config.tracker import TrackerSettings


class Settings(Section):
    detector: DetectorSettings = DetectorSettings()
    tracker: TrackerSettings = TrackerSettings()
    rules: RulesSettings = RulesSettings()
