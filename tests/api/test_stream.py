"""GET /events/stream over a real server: SSE frames, resume with Last-Event-ID, live changes, site scope."""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from sitewatch.config.api import ApiSettings


@pytest.fixture
def server(store):
    from sitewatch.api import create_app

    app = create_app(store, api_settings=ApiSettings(stream_poll_s=0.05, stream_keepalive_s=0.2))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert instance.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


def _frames(response, count: int) -> list[dict]:
    """Read ``count`` SSE events (skipping comments) from an open streaming response."""
    frames, current = [], {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if current:
                frames.append(current)
                current = {}
                if len(frames) == count:
                    return frames
            continue
        field, _, value = line.partition(": ")
        current[field] = value
    raise AssertionError("stream ended early")


def _open(base: str, key: str, **kwargs):
    return httpx.stream(
        "GET",
        f"{base}/api/v1/events/stream",
        headers={"X-API-Key": key, **kwargs.pop("headers", {})},
        timeout=httpx.Timeout(10.0),
        **kwargs,
    )


def test_stream_replays_from_a_seq_and_resumes(server, seeded, keys):
    with _open(server, keys["viewer"], params={"after": 0}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames = _frames(response, 5)
    assert [int(f["id"]) for f in frames] == [1, 2, 3, 4, 5]
    data = [json.loads(f["data"]) for f in frames]
    assert {d["event"]["id"] for d in data} == set(seeded.all_ids)
    assert [f["event"] for f in frames] == [d["change"] for d in data]
    with _open(server, keys["viewer"], headers={"Last-Event-ID": "3"}) as response:
        assert [int(f["id"]) for f in _frames(response, 2)] == [4, 5]


def test_stream_delivers_live_changes_only_for_visible_sites(server, store, seeded, keys, change_factory):
    def write_later():
        time.sleep(0.3)
        store.apply([change_factory(source="yard2", site_id="south", start_s=5)])
        store.apply([change_factory(source="gate2", site_id="north", start_s=5)])

    writer = threading.Thread(target=write_later)
    with _open(server, keys["viewer@north"]) as response:
        writer.start()
        (frame,) = _frames(response, 1)
    writer.join()
    message = json.loads(frame["data"])
    assert message["event"]["site_id"] == "north" and message["event"]["camera_id"] == "gate2"
    assert frame["event"] == "opened"


def test_revoking_a_key_ends_its_open_stream(server, store, seeded, keys, change_factory):
    from sitewatch.store.keys import revoke_key

    key = keys["viewer"]
    key_id = key.split("_", 2)[1]
    lines: list[str] = []
    with _open(server, key) as response:
        assert response.status_code == 200
        with store.session() as session, session.begin():
            assert revoke_key(session, key_id, actor="test")
        # Written after the revocation: the closed stream must not carry it.
        store.apply([change_factory(source="after-revoke", site_id="north", start_s=9)])
        began = time.monotonic()
        for line in response.iter_lines():  # ends when the server closes the stream
            lines.append(line)
            if time.monotonic() - began > 5:  # keep-alives would hold it open for ever
                break
        took = time.monotonic() - began
    assert ": key revoked" in lines, lines[-3:]
    assert not any("after-revoke" in line for line in lines)
    assert took < 5, f"the stream stayed open {took:.1f} s after the key was revoked"
    with _open(server, key) as response:
        assert response.status_code == 401
