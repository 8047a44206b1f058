"""The service object in-process: real store, real readers over files or dead RTSP URLs, the shipped model."""

from __future__ import annotations

import logging
import shutil
import time

from datetime import UTC, datetime

import httpx
import pytest

from sitewatch.config import load_settings
from sitewatch.service import Service
from sitewatch.store.keys import Role, create_key

WAIT_S = 90.0


def wait_for(predicate, timeout: float = WAIT_S, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def running(make_config):
    """Start a Service for a config (list of camera dicts); stopped at the end of the test."""
    services: list[Service] = []

    def start(cameras: list[dict], **config) -> Service:
        service = Service(load_settings(make_config(cameras, **config))).start()
        services.append(service)
        return service

    yield start
    for service in services:
        service.stop()


def viewer_key(service: Service) -> dict[str, str]:
    with service.store.session() as session, session.begin():
        return {"X-API-Key": create_key(session, Role.VIEWER, name="test")}


def test_a_looped_real_clip_raises_a_no_helmet_event_seen_through_the_api(running, demo_clip):
    service = running([{"id": "courtyard", "url": str(demo_clip)}])
    headers = viewer_key(service)
    with httpx.Client(base_url=service.api.url, headers=headers, timeout=10) as client:

        def no_helmet_events():
            page = client.get("/api/v1/events", params={"type": "no_helmet"}).json()
            return page["items"]

        events = wait_for(no_helmet_events, what="a no_helmet event in GET /api/v1/events")
        assert events[0]["camera_id"] == "courtyard" and events[0]["site_id"] == "yard"
        assert client.get(events[0]["snapshot_url"]).headers["content-type"] == "image/jpeg"
        camera = client.get("/api/v1/cameras").json()[0]
        assert camera["state"] == "streaming" and camera["status"] == "online"
        assert camera["sample_fps"] == 2 and camera["last_frame_at"] is not None


def test_a_camera_offline_at_start_does_not_hold_up_the_others(running, still_clip, dead_camera_url):
    service = running([{"id": "down", "url": dead_camera_url}, {"id": "up", "url": str(still_clip)}])
    wait_for(lambda: service.loop.stats.frames >= 3, what="frames of the working camera")
    states = {s["source_id"]: s for s in service.camera_stats()}
    assert states["up"]["state"] == "streaming" and states["up"]["frames_delivered"] >= 3
    assert states["down"]["state"] in ("offline", "connecting") and states["down"]["frames_read"] == 0
    assert service.loop.stats.failed_frames == 0


def test_credentials_never_appear_in_logs_api_or_metrics(
    running, still_clip, dead_camera_url, camera_secret, caplog
):
    caplog.set_level(logging.DEBUG)
    service = running([{"id": "down", "url": dead_camera_url}, {"id": "up", "url": str(still_clip)}])
    wait_for(
        lambda: {s["source_id"]: s["state"] for s in service.camera_stats()}.get("down") == "offline",
        what="the dead camera to be reported offline",
    )
    headers = viewer_key(service)
    with httpx.Client(base_url=service.api.url, headers=headers, timeout=10) as client:
        cameras = client.get("/api/v1/cameras")
        metrics = client.get("/metrics")
    assert cameras.status_code == 200 and metrics.status_code == 200
    down = next(c for c in cameras.json() if c["id"] == "down")
    # The dead camera keeps retrying, so by the time the API answers it may be
    # trying again ("connecting") rather than "offline"; it is down either way.
    assert down["status"] == "offline" and down["state"] in ("offline", "connecting") and down["state_reason"]
    assert 'sitewatch_camera_up{camera="down",site="yard"} 0.0' in metrics.text
    service.stop()
    for text in (caplog.text, cameras.text, metrics.text):
        assert camera_secret not in text and "admin:" not in text


def test_stop_takes_one_read_timeout_however_many_cameras_hang(running, hung_server, caplog):
    # Every camera connects to a server that never answers: one reader at a time sits in
    # OpenCV's open (1 s), the others queue behind it.
    fast = {"open_timeout_s": 1, "stale_after_s": 1, "backoff_base_s": 0.1, "backoff_cap_s": 0.2}
    cameras = [{"id": f"nvr{i:02d}", "url": hung_server.url(f"/ch{i}")} for i in range(32)]
    service = running(cameras, streams=fast)
    wait_for(lambda: len(hung_server.accepted) >= 2, what="the cameras to reach the hung server")
    began = time.monotonic()
    service.stop()
    took = time.monotonic() - began
    # All readers are joined against one deadline, longest_block_s + 1 s = 2 s; one by one
    # (8 at a time before) they took about 8 s here, and 43 s for 25 cameras with the defaults.
    assert took < 2.0 + 2.0, f"stop took {took:.1f} s"
    stuck = [r for r in caplog.records if "still inside OpenCV" in r.getMessage()]
    assert len(stuck) <= 1  # one summary line, not one per camera


def test_camera_status_left_by_a_crash_is_reset_at_start(running, make_config, hung_server, dead_camera_url):
    from sitewatch.store import open_store_from_settings

    # What a run killed with -9 leaves: both cameras "online".
    before = load_settings(make_config([{"id": "gate", "url": hung_server.url("/gate")},
                                        {"id": "crane", "url": dead_camera_url}]))
    store = open_store_from_settings(before.store)
    store.sync_config(before)
    for camera in ("gate", "crane"):
        store.record_camera_status(camera, "online", datetime.now(UTC), "yard")
    store.close()
    # The next start: crane is gone from the config; gate hangs in its first connect (3 s).
    service = running([{"id": "gate", "url": hung_server.url("/gate")}])
    with httpx.Client(base_url=service.api.url, headers=viewer_key(service), timeout=10) as client:
        cameras = {c["id"]: c for c in client.get("/api/v1/cameras").json()}
    assert cameras["gate"]["status"] == "connecting" and cameras["gate"]["state"] == "connecting"
    assert cameras["crane"]["status"] == "removed" and cameras["crane"]["state"] is None


def test_an_open_event_closes_on_time_while_its_camera_is_offline(running, still_clip, tmp_path):
    from sitewatch.store.models import Event

    clip = tmp_path / "pit.avi"
    shutil.copy(still_clip, clip)
    service = running([{"id": "pit", "url": str(clip)}], close_after_s=3)

    def events() -> list[tuple[str, object]]:
        with service.store.session() as session:
            return [(e.status, e.ended_at) for e in session.query(Event).filter_by(camera_id="pit")]

    wait_for(lambda: ("open" in {status for status, _ in events()}), what="an open event")
    # The camera goes away: at the end of the clip its reader cannot open it again. No frame
    # comes any more, yet the event must close 3 s after its last sighting, not when frames return.
    clip.unlink()
    wait_for(lambda: service.camera_stats()[0]["state"] == "offline", what="the camera offline")
    offline_at = datetime.now(UTC)
    closed = wait_for(
        lambda: (rows := events()) and all(status == "closed" for status, _ in rows) and rows,
        timeout=15, what="the event closed while the camera is offline",
    )
    # Its end stays the last sighting, before the camera went offline.
    assert all(ended.replace(tzinfo=UTC) <= offline_at for _, ended in closed)
