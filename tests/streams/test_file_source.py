"""Recorded video as a frame source: every frame, in order, with wall-clock timestamps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

import sitewatch.streams.file as file_module
from sitewatch.streams.file import SourceError, VideoFileSource, probe

START = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("stride", "expected"), [(1, list(range(30))), (3, list(range(0, 30, 3))), (7, [0, 7, 14, 21, 28])])
def test_every_strided_frame_in_order(small_video, stride, expected):
    source = VideoFileSource(small_video, "cam", START, stride=stride)
    frames = list(source)
    assert [f.index for f in frames] == expected
    assert source.frames_read == 30 and source.failed_frames == 0
    assert all(f.source_id == "cam" and f.image.shape == (120, 160, 3) for f in frames)
    assert frames[-1].timestamp == START + timedelta(seconds=expected[-1] / 10)


def test_probe_reads_size_rate_and_length(small_video):
    info = probe(small_video)
    assert (info.width, info.height, info.fps, info.frame_count) == (160, 120, 10.0, 30)
    assert info.duration_s == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp, nv: tmp / "missing.mp4", "no such file"),
        (lambda tmp, nv: tmp, "not a file"),
        (lambda tmp, nv: nv, "not a video|no decodable frame"),
    ],
)
def test_unusable_input_names_the_file(tmp_path, not_a_video, make, message):
    path = make(tmp_path, not_a_video)
    with pytest.raises(SourceError, match=message) as info:
        probe(path)
    assert str(path) in str(info.value)


def test_truncated_video_yields_what_it_can_and_counts_the_rest(truncated_video):
    source = VideoFileSource(truncated_video, "cam", START)
    frames = list(source)
    assert 0 < len(frames) < 40
    assert source.frames_read == len(frames)
    assert source.failed_frames > 0


@pytest.mark.parametrize(
    ("video", "unknown_length", "failed", "incomplete"),
    [
        ("small_video", False, 0, False),
        # A container that does not say how long it is (frame count 0) ends as cleanly.
        ("small_video", True, 0, False),
        ("truncated_video", False, None, True),
    ],
)
def test_only_a_video_not_decoded_to_the_end_is_incomplete(request, monkeypatch, video, unknown_length, failed,
                                                           incomplete):
    path = request.getfixturevalue(video)
    if unknown_length:
        real_probe = file_module.probe
        monkeypatch.setattr(file_module, "probe", lambda p: dataclasses.replace(real_probe(p), frame_count=0))
    source = VideoFileSource(path, "cam", START, stride=5)
    list(source)
    assert source.incomplete is incomplete
    if failed is not None:
        assert source.failed_frames == failed


def test_a_frame_count_a_little_over_is_not_incomplete(small_video, monkeypatch):
    # As a container that estimates its length from duration and rate: 2 frames promised too many.
    real_probe = file_module.probe
    monkeypatch.setattr(file_module, "probe", lambda p: dataclasses.replace(real_probe(p), frame_count=32))
    source = VideoFileSource(small_video, "cam", START)
    assert len(list(source)) == 30 and source.failed_frames == 2 and not source.incomplete


def test_stopping_early_releases_the_decoder(small_video):
    source = VideoFileSource(small_video, "cam", START)
    for frame in source:
        if frame.index == 2:
            break
    assert source._thread is not None and not source._thread.is_alive()


def test_start_must_be_timezone_aware(small_video):
    with pytest.raises(ValueError, match="timezone-aware"):
        VideoFileSource(small_video, "cam", datetime(2026, 1, 1))


def test_frame_times_count_real_seconds_across_a_dst_change(small_video):
    # 01:30 CET on the night the clocks jump to 03:00 CEST: an hour of video later it is 03:30 CEST.
    from zoneinfo import ZoneInfo

    start = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    source = VideoFileSource(small_video, "cam", start)
    one_hour = round(3600 * source.info.fps)
    assert source.timestamp_of(one_hour) - source.timestamp_of(0) == timedelta(hours=1)
    assert source.timestamp_of(one_hour) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
