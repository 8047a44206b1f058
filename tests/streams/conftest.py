"""A real RTSP server for the stream tests: ``rtsp_server.py`` under the system Python.

``rtsp_servers(*mounts, auth=None, start=True)`` makes a server (killed at the
end of the test). ``kill()`` and ``start()`` simulate a camera or NVR going
away and coming back on the same port, ``pause()``/``resume()`` one that
hangs; ``start(mounts)`` can change what a mount serves (e.g. its
resolution). ``start=False`` only reserves a port: a camera pointed there is
offline until the server is started.

The tests are skipped when the system Python lacks the GStreamer RTSP server
(see ``scripts/system-deps.txt`` for the Debian packages).
"""

from __future__ import annotations

import functools
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
START_TIMEOUT_S = 20.0
_PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer; Gst.init(None); "
    "missing = [e for e in ('videotestsrc', 'x264enc', 'rtph264pay') if Gst.ElementFactory.find(e) is None]; "
    "assert not missing, 'missing GStreamer elements: ' + ', '.join(missing)"
)


@functools.cache
def rtsp_server_missing() -> str | None:
    """Why the test server cannot run here, or None when it can."""
    try:
        subprocess.run([SYSTEM_PYTHON, "-c", _PROBE], check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return f"{SYSTEM_PYTHON} not found (the RTSP test server runs under the system Python)"
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr.strip().splitlines() or ["?"])[-1]
        return f"GStreamer RTSP server not usable from {SYSTEM_PYTHON} ({last}); see scripts/system-deps.txt"
    except subprocess.TimeoutExpired:
        return "probing the GStreamer RTSP server timed out"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RtspServer:
    def __init__(self, mounts: list[str], auth: str | None = None):
        self.mounts = mounts
        self.auth = auth
        self.port: int | None = None
        self._process: subprocess.Popen | None = None

    def url(self, mount: str, credentials: str | None = None) -> str:
        assert self.port is not None, "start() or reserve() the server first"
        userinfo = f"{credentials}@" if credentials else ""
        return f"rtsp://{userinfo}127.0.0.1:{self.port}{mount}"

    def reserve(self) -> RtspServer:
        self.port = free_port()
        return self

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, mounts: list[str] | None = None) -> RtspServer:
        """Serve (on the same port as before, if there was one); return once it accepts connections."""
        assert not self.running, "kill() the server before starting it again"
        if mounts is not None:
            self.mounts = mounts
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            error = self._try_start(deadline)
            if error is None:
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"RTSP test server did not start: {error}")
            time.sleep(0.2)  # e.g. the port is still held by the server just killed

    def _try_start(self, deadline: float) -> str | None:
        args = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port or 0)]
        for mount in self.mounts:
            args += ["--mount", mount]
        if self.auth:
            args += ["--auth", self.auth]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([process.stdout], [], [], max(0.1, deadline - time.monotonic()))
        line = process.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            process.kill()
            _, err = process.communicate()
            return (err.strip().splitlines() or ["no READY line"])[-1]
        self.port = int(line.split()[1])
        self._process = process
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return None
            except OSError:
                time.sleep(0.05)
        return "not accepting connections"

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash or power cut would."""
        if self._process is not None:
            self._process.kill()
            self._process.communicate()
            self._process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but carry nothing, like a hung NVR."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def restart(self, mounts: list[str] | None = None) -> RtspServer:
        self.kill()
        return self.start(mounts)


@pytest.fixture
def rtsp_servers():
    reason = rtsp_server_missing()
    if reason is not None:
        pytest.skip(reason)
    made: list[RtspServer] = []

    def make(*mounts: str, auth: str | None = None, start: bool = True) -> RtspServer:
        server = RtspServer(list(mounts), auth)
        made.append(server)
        return server.start() if start else server.reserve()

    yield make
    for server in made:
        server.kill()
