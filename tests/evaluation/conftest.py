"""Fixtures of the clip-evaluation tests: a synthetic photo set and clips made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipdata import small_options, write_photo_set
from sitewatch.evaluation.make_clips import make_clips
from sitewatch.evaluation.yolo_dataset import load_split


@pytest.fixture(scope="session")
def photo_set(tmp_path_factory) -> Path:
    return write_photo_set(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="session")
def made_clips(photo_set, tmp_path_factory) -> Path:
    """Two 4 s clips (two photos each): the first outside permitted hours, the second inside."""
    out = tmp_path_factory.mktemp("clips")
    make_clips(load_split(photo_set, "test"), out, small_options(out_of_hours_share=1.0, clips=1))
    inside = tmp_path_factory.mktemp("inside")
    make_clips(load_split(photo_set, "test"), inside, small_options(out_of_hours_share=0.0, seed=4, clips=1))
    (inside / "clip-000").rename(out / "clip-001")
    return out
