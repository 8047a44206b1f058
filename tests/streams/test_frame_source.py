"""Recordings and live cameras behind the one ``FrameSource`` interface."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sitewatch.streams import CameraReader, FrameSource, SourceState, VideoFileSource

START = datetime(2026, 5, 4, 23, 30, tzinfo=UTC)


def test_both_sources_satisfy_the_interface(small_video):
    assert isinstance(VideoFileSource(small_video, "rec", START), FrameSource)
    assert isinstance(CameraReader("cam", "rtsp://127.0.0.1:9/x", 2.0), FrameSource)


@pytest.mark.parametrize("stride", [1, 4])
def test_read_loop_gets_every_frame_of_a_recording(small_video, stride):
    source = VideoFileSource(small_video, "rec", START, stride=stride)
    assert source.stats().state is SourceState.CONNECTING
    frames = []
    while not source.finished:
        frame = source.read(timeout=5)
        if frame is not None:
            frames.append(frame.index)
    assert frames == list(range(0, 30, stride))
    stats = source.stats()
    assert stats.state is SourceState.CLOSED and stats.reason == "end of file"
    assert (stats.frames_read, stats.frames_sampled, stats.frames_delivered, stats.drops) == (
        30, len(frames), len(frames), 0
    )
    assert stats.last_frame_at == datetime(2026, 5, 4, 23, 30, 2, 900000, tzinfo=UTC)
    assert source.read(timeout=0) is None


def test_closing_a_recording_early_finishes_it(small_video):
    source = VideoFileSource(small_video, "rec", START)
    assert source.read(timeout=5).index == 0
    source.close()
    assert source.finished and source.read() is None
    assert source.stats().reason == "closed"


def test_camera_reader_that_never_started_closes_cleanly():
    reader = CameraReader("cam", "rtsp://u:secret@127.0.0.1:9/x", 2.0)
    assert reader.close() is True
    assert reader.finished and reader.stats().state is SourceState.CLOSED
    assert "secret" not in repr(reader) and "secret" not in str(reader.stats())
