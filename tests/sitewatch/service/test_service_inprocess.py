"""The service object in-process: real store, real readers over files or dead RTSP URLs, the shipped model."""

from __future__ import annotations

import logging
import time

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

    def start(cameras: list[dict]) -> Service:
        service = Service(load_settings(make_config(cameras))).start()
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
