"""The ``streams:`` section: defaults, bounds, and its place in the root settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sitewatch.config import Settings
from sitewatch.config.streams import StreamSettings


def test_defaults_are_part_of_the_root_settings():
    streams = Settings().streams
    assert streams == StreamSettings()
    assert streams.backoff_base_s <= streams.backoff_cap_s
    assert streams.longest_block_s == max(streams.open_timeout_s, streams.stale_after_s)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"open_timeout_s": 0}, "greater than 0"),
        ({"stale_after_s": -1}, "greater than 0"),
        ({"frozen_after_s": -5}, "greater than or equal to 0"),
        ({"backoff_jitter": 1.5}, "less than or equal to 1"),
        ({"backoff_base_s": 10, "backoff_cap_s": 5}, "must not be below backoff_base_s"),
        ({"reconnect": 3}, "Extra inputs"),
    ],
)
def test_bad_values_are_refused(values, message):
    with pytest.raises(ValidationError, match=message):
        StreamSettings(**values)


def test_frozen_check_can_be_turned_off():
    assert StreamSettings(frozen_after_s=0).frozen_after_s == 0
