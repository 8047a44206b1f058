"""Fixtures for push tests: a store, a controllable clock, a webhook receiver, a real mosquitto broker."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from sitewatch.events import ChangeKind, Event, EventChange, EventType, Evidence, event_id_for

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_change(kind: str = "opened", source: str = "cam-1", site_id: str = "north", end_s: float = 2.0):
    evidence = Evidence(5, T0, (1.0, 2.0, 30.0, 40.0), 0.7, np.zeros((0, 0, 3), np.uint8))
    event = Event(
        event_id=event_id_for(source, EventType.NO_HELMET, T0),
        type=EventType.NO_HELMET,
        source=source,
        start=T0,
        end=T0 + timedelta(seconds=end_s),
        start_frame=0,
        end_frame=int(end_s * 10),
        evidence=evidence,
        track_id=1,
        closed=kind == "closed",
        site_id=site_id,
    )
    return EventChange(ChangeKind(kind), event)


@pytest.fixture
def change_factory():
    return make_change


@pytest.fixture
def store(tmp_path):
    from sitewatch.store import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'push.db'}", tmp_path / "evidence")
    yield opened
    opened.close()


class Clock:
    """A clock the test moves by hand, so retry schedules need no sleeping."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock(datetime.now(UTC))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookReceiver:
    """A real HTTP server on loopback that records what it is sent; it can be down, then up.

    It can also be slow (``delay_s`` before answering), answer one byte at a time
    (``drip_s`` between bytes), or refuse only the messages ``refuse`` picks.
    """

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hook"
        self.received: list[dict] = []
        self.fail_with: int | None = None
        self.refuse: Callable[[dict], int | None] | None = None
        self.delay_s = 0.0
        self.drip_s: float | None = None
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.fail_with or (receiver.refuse and receiver.refuse(json.loads(body))) or 204
                receiver.received.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "status": status,
                    }
                )
                time.sleep(receiver.delay_s)
                if receiver.drip_s is None:
                    self.send_response(status)
                    self.end_headers()
                    return
                answer = f"HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\nX-Padding: {'x' * 40}\r\n\r\n"
                try:
                    for byte in answer.encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(receiver.drip_s)
                except OSError:
                    pass  # the sender gave up
                self.close_connection = True

            def log_message(self, *_args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def accepted(self) -> list[dict]:
        return [r for r in self.received if r["status"] < 300]

    def messages(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.accepted()]


@pytest.fixture
def receiver():
    hook = WebhookReceiver(free_port())
    yield hook
    hook.stop()


class Mosquitto:
    def __init__(self, binary: str, directory, port: int):
        self.binary, self.port = binary, port
        self.config = directory / "mosquitto.conf"
        self.config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("mosquitto exited at start")
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start listening")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def mosquitto(tmp_path):
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if binary is None:
        pytest.skip("mosquitto broker not installed: apt-get install mosquitto")
    broker = Mosquitto(binary, tmp_path, free_port())
    broker.start()
    yield broker
    broker.stop()
