"""Recorded video as a frame source: every frame, in order, with wall-clock timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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


def test_stopping_early_releases_the_decoder(small_video):
    source = VideoFileSource(small_video, "cam", START)
    for frame in source:
        if frame.index == 2:
            break
    assert source._thread is not None and not source._thread.is_alive()


def test_start_must_be_timezone_aware(small_video):
    with pytest.raises(ValueError, match="timezone-aware"):
        VideoFileSource(small_video, "cam", datetime(2026, 1, 1))
