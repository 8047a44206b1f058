"""Live cameras against a real RTSP server: flow, faults, reconnects, frozen pictures, secrets.

Timings are shortened (2 s stale, 1 s frozen, backoff 0.2-1 s) so the whole
file runs in well under a minute; waits are deadlines for something to
happen, not assertions about how fast it happens.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from sitewatch.config.streams import StreamSettings
from sitewatch.streams import FROZEN, CameraReader, SourceState, StateChange
from sitewatch.types import Frame

FAST = StreamSettings(
    open_timeout_s=3.0,
    stale_after_s=2.0,
    frozen_after_s=0.0,
    backoff_base_s=0.2,
    backoff_cap_s=1.0,
    backoff_jitter=0.0,
    healthy_reset_s=1.0,
)
DEADLINE_S = 20.0
MOVING = "ball:320x240"
STILL = "smpte75:320x240"


class Changes:
    """Collects a reader's state changes (the callback runs on the reader thread)."""

    def __init__(self) -> None:
        self.items: list[StateChange] = []
        self._lock = threading.Lock()

    def __call__(self, change: StateChange) -> None:
        with self._lock:
            self.items.append(change)

    def any(self, match: Callable[[StateChange], bool]) -> bool:
        with self._lock:
            return any(match(c) for c in self.items)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up after {timeout:g} s waiting for {what}")


def next_frame(reader: CameraReader, timeout: float = DEADLINE_S) -> Frame:
    frame = reader.read(timeout=timeout)
    assert frame is not None, f"no frame from {reader.source_id} within {timeout:g} s"
    return frame


def native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.fixture
def readers():
    """Makes readers and closes them all at the end, even when a test fails."""
    made: list[CameraReader] = []

    def make(source_id: str, url: str, fps: float = 5.0, settings: StreamSettings = FAST, **kw):
        reader = CameraReader(source_id, url, fps, settings, **kw)
        made.append(reader)
        return reader.start()

    yield make
    for reader in made:
        reader.close()


def test_frames_flow_from_several_cameras_at_once(rtsp_servers, readers):
    server = rtsp_servers(f"/a={MOVING}", "/b=ball:160x120@15", f"/c={STILL}")
    ready = threading.Event()
    cams = {name: readers(name, server.url(f"/{name}"), fps=4.0, ready=ready) for name in "abc"}
    got: dict[str, list[Frame]] = {name: [] for name in cams}
    deadline = time.monotonic() + DEADLINE_S
    # The service's loop: wait for any camera, then take from all of them.
    while min(len(frames) for frames in got.values()) < 6 and time.monotonic() < deadline:
        ready.wait(0.5)
        ready.clear()
        for name, reader in cams.items():
            if (frame := reader.take()) is not None:
                got[name].append(frame)
    assert {name: len(frames) >= 6 for name, frames in got.items()} == {"a": True, "b": True, "c": True}
    assert got["a"][0].image.shape == (240, 320, 3) and got["b"][0].image.shape == (120, 160, 3)
    now = datetime.now(UTC)
    for name, frames in got.items():
        assert all(f.source_id == name and f.timestamp.tzinfo is UTC for f in frames)
        assert all(a.index < b.index and a.timestamp < b.timestamp for a, b in zip(frames, frames[1:]))
        assert now - timedelta(seconds=30) < frames[0].timestamp <= now
        stats = cams[name].stats()
        assert stats.state is SourceState.STREAMING and stats.reconnects == 0
        # Sampled at 4 of the camera's 10-15 frames per second.
        assert stats.frames_read > stats.frames_sampled >= stats.frames_delivered + stats.drops
        assert stats.frames_delivered == len(frames)
        assert 5.0 < stats.fps < 25.0
        assert (stats.width, stats.height) == (frames[-1].width, frames[-1].height)


def test_slow_consumer_gets_the_newest_frame_and_drops_are_counted(rtsp_servers, readers):
    server = rtsp_servers(f"/a={MOVING}")
    reader = readers("a", server.url("/a"), fps=10.0)
    first = next_frame(reader)
    base = reader.stats().frames_sampled
    wait_until(lambda: reader.stats().frames_sampled >= base + 5, "five more samples")
    newest = next_frame(reader)
    assert newest.index - first.index >= 5  # not the oldest waiting frame: there is no backlog
    reader.close()
    stats = reader.stats()
    waiting = reader.take() is not None
    assert stats.drops >= 4
    # Every sample is accounted for.
    assert stats.frames_sampled == stats.frames_delivered + stats.drops + waiting


def test_server_killed_and_restarted_repeatedly_ends_in_a_reconnect_each_time(rtsp_servers, readers):
    python_threads = threading.active_count()
    server = rtsp_servers(f"/cam={MOVING}")
    changes = Changes()
    reader = readers("cam", server.url("/cam"), on_change=changes)
    next_frame(reader)
    threads_while_streaming = native_threads()
    refused = lambda: sum(c.reason == "connection refused" for c in list(changes.items))  # noqa: E731
    for cycle in range(1, 4):
        refused_before = refused()
        server.kill()
        # Stay down until the reader has tried and failed to reconnect at least once.
        wait_until(lambda: refused() > refused_before, f"a refused reconnect in outage {cycle}")
        server.start()
        wait_until(lambda: reader.stats().reconnects == cycle, f"reconnect {cycle}")
        next_frame(reader)
        assert reader.state is SourceState.STREAMING
    # Each lost connection was released: FFmpeg's threads did not pile up.
    assert native_threads() <= threads_while_streaming
    assert changes.any(lambda c: c.old is SourceState.STREAMING and c.new is SourceState.OFFLINE
                       and c.reason == "connection lost" and c.retry_in_s is not None)
    assert reader.close() is True
    assert reader.state is SourceState.CLOSED and reader.finished
    assert threading.active_count() == python_threads


def test_camera_offline_at_start_comes_up_later_without_affecting_the_others(rtsp_servers, readers):
    up = rtsp_servers(f"/a={MOVING}")
    later = rtsp_servers(f"/b={MOVING}", start=False)
    a = readers("a", up.url("/a"))
    b = readers("b", later.url("/b"))
    next_frame(a)
    wait_until(lambda: b.state is SourceState.OFFLINE, "b offline")
    assert b.stats().reason == "connection refused" and b.take() is None
    delivered_before = a.stats().frames_delivered
    for _ in range(5):
        next_frame(a)  # a keeps streaming while b keeps failing
    later.start()
    frame = next_frame(b)
    assert frame.source_id == "b" and b.state is SourceState.STREAMING
    assert b.stats().reconnects == 0  # coming up for the first time is no reconnect
    stats = a.stats()
    assert stats.state is SourceState.STREAMING and stats.reconnects == 0
    assert stats.frames_delivered >= delivered_before + 5


def test_hung_server_makes_the_camera_stalled_then_it_recovers(rtsp_servers, readers):
    server = rtsp_servers(f"/cam={MOVING}")
    changes = Changes()
    reader = readers("cam", server.url("/cam"), on_change=changes)
    next_frame(reader)
    server.pause()
    wait_until(lambda: reader.state is not SourceState.STREAMING, "the stall noticed")
    assert changes.any(lambda c: c.new is SourceState.STALLED and c.reason.startswith("no frame for"))
    server.resume()
    wait_until(lambda: reader.stats().reconnects == 1, "reconnect after the stall")
    next_frame(reader)


def test_frozen_stream_is_detected_flagged_and_reconnected(rtsp_servers, readers):
    server = rtsp_servers(f"/still={STILL}", f"/live={MOVING}")
    settings = FAST.model_copy(update={"frozen_after_s": 1.0})
    still_changes, live_changes = Changes(), Changes()
    still = readers("still", server.url("/still"), settings=settings, on_change=still_changes)
    live = readers("live", server.url("/live"), settings=settings, on_change=live_changes)
    frozen = lambda c: c.new is SourceState.STALLED and c.reason.startswith(FROZEN)  # noqa: E731
    wait_until(lambda: still_changes.any(frozen), "the frozen picture detected")
    assert still.stats().frozen
    # It reconnects, and is still frozen (the picture is the same as before).
    wait_until(lambda: still.stats().reconnects >= 1, "reconnect of the frozen camera")
    assert still.stats().frozen
    next_frame(live)
    assert not live.stats().frozen and live.state is SourceState.STREAMING
    assert not live_changes.any(lambda c: c.new is SourceState.STALLED)


def test_after_a_frozen_episode_the_reconnect_and_the_next_outage_are_logged(rtsp_servers, readers, caplog):
    caplog.set_level(logging.DEBUG, logger="sitewatch.streams")
    server = rtsp_servers(f"/cam={STILL}")
    reader = readers("cam", server.url("/cam"), settings=FAST.model_copy(update={"frozen_after_s": 1.0}))
    wait_until(lambda: reader.stats().frozen, "the frozen picture detected")
    server.kill()  # an outage while frozen, then a moving picture
    wait_until(lambda: reader.state is SourceState.OFFLINE, "the outage noticed")
    restarted = len(caplog.records)
    server.start([f"/cam={MOVING}"])
    wait_until(
        lambda: reader.state is SourceState.STREAMING and not reader.stats().frozen, "the moving picture"
    )
    recovered = len(caplog.records)
    server.kill()
    wait_until(lambda: reader.state is not SourceState.STREAMING, "the second outage noticed")

    def lines(records, level: int) -> list[str]:
        return [r.getMessage() for r in records if r.name == "sitewatch.streams" and r.levelno >= level]

    # The journal (INFO and up) shows the camera coming back, and then going down again.
    assert any(m.endswith("-> streaming") for m in lines(caplog.records[restarted:recovered], logging.INFO))
    assert any(
        m.startswith("camera cam: streaming -> ") for m in lines(caplog.records[recovered:], logging.WARNING)
    )


def test_resolution_change_after_a_restart(rtsp_servers, readers, caplog):
    caplog.set_level(logging.INFO, logger="sitewatch.streams")
    server = rtsp_servers(f"/cam={MOVING}")
    reader = readers("cam", server.url("/cam"))
    assert next_frame(reader).image.shape == (240, 320, 3)
    server.restart([f"/cam=ball:640x360"])
    wait_until(lambda: reader.stats().width == 640, "frames of the new size")
    frame = next_frame(reader)
    assert frame.image.shape == (360, 640, 3) and (frame.width, frame.height) == (640, 360)
    assert reader.stats().reconnects == 1
    assert "camera cam: resolution changed from 320x240 to 640x360" in caplog.text


def test_credentials_never_appear_in_logs_errors_or_stats(rtsp_servers, readers, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    user, password = "inspector7", "Sup3r-s3cret"
    server = rtsp_servers(f"/cam={MOVING}", auth=f"{user}:{password}")
    changes = Changes()
    good = readers("good", server.url("/cam", f"{user}:{password}"), on_change=changes)
    wrong = readers("wrong", server.url("/cam", f"{user}:not-{password}"), on_change=changes)
    next_frame(good)
    wait_until(lambda: wrong.state is SourceState.OFFLINE, "the wrong password refused")
    assert "wrong path or credentials" in wrong.stats().reason
    server.kill()
    wait_until(lambda: good.state is not SourceState.STREAMING, "the outage noticed")
    server.start()
    next_frame(good)
    shown = [caplog.text, *capfd.readouterr()]
    for reader in (good, wrong):
        stats = reader.stats()
        assert stats.url == f"rtsp://***@127.0.0.1:{server.port}/cam"
        shown += [repr(reader), reader.display_url, repr(stats), str(stats.as_dict())]
    shown += [change.describe() for change in changes.items] + [repr(change) for change in changes.items]
    text = "\n".join(shown)
    assert "camera good: connecting -> streaming" in text
    assert password not in text and user not in text


def test_unexpected_errors_are_reported_redacted_and_the_reader_keeps_trying(readers, caplog, monkeypatch):
    import sitewatch.streams.camera as camera_module

    url = "rtsp://admin:hunter2@192.0.2.1/stream"
    attempts = []

    def broken_open(given_url, *_):
        attempts.append(1)
        raise RuntimeError(f"could not open {given_url}")  # what a careless library might say

    monkeypatch.setattr(camera_module, "open_capture", broken_open)
    reader = readers("cam", url)
    wait_until(lambda: len(attempts) >= 2, "a second attempt after the error")
    assert reader.stats().reason == "reader error: RuntimeError: could not open rtsp://***@192.0.2.1/stream"
    assert "hunter2" not in caplog.text and "admin" not in caplog.text


def test_close_is_prompt_while_waiting_to_retry(readers):
    python_threads = threading.active_count()
    slow_retry = FAST.model_copy(update={"backoff_base_s": 60.0, "backoff_cap_s": 60.0})
    reader = readers("cam", "rtsp://127.0.0.1:9/nothing-listens-here", settings=slow_retry)
    wait_until(lambda: reader.state is SourceState.OFFLINE, "offline")
    assert reader.close(timeout=5.0) is True
    assert reader.read(timeout=1.0) is None and reader.finished
    assert threading.active_count() == python_threads


def test_a_video_file_plays_as_a_live_camera_paced_and_looped(tmp_path, readers, caplog):
    from testdata import write_video

    caplog.set_level(logging.DEBUG, logger="sitewatch.streams")
    clip = write_video(tmp_path / "clip.avi", 8, fps=10.0)  # 0.8 s long
    reader = readers("demo", str(clip), fps=10.0)
    frames = [next_frame(reader) for _ in range(12)]  # more frames than the file has: it looped
    assert [f.index for f in frames] == sorted({f.index for f in frames}) and frames[-1].index >= 8
    # Paced at the file's 10 fps: twelve frames span most of a second of wall-clock time.
    assert frames[-1].timestamp - frames[0].timestamp >= timedelta(seconds=0.8)
    stats = reader.stats()
    assert stats.state is SourceState.STREAMING and stats.reconnects == 0 and stats.url == str(clip)
    assert "offline" not in caplog.text and "connecting" not in caplog.text.split("-> streaming", 1)[1]
