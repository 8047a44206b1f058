"""The HTTP API in a thread of the service, on a socket bound before anything else starts.

Binding first means a port that is taken fails the start at once, with a
clear message, before minutes are spent loading models and connecting to
cameras. uvicorn installs no signal handlers outside the main thread, so the
service keeps SIGTERM/SIGINT for its own ordered shutdown.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time

log = logging.getLogger("sitewatch.service")


class PortInUse(RuntimeError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a restart must not wait for TIME_WAIT connections of the last run.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(f"cannot listen on {host}:{port}: the port is in use") from None
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class ApiServer:
    def __init__(self, app, sock: socket.socket, *, graceful_s: float = 5.0):
        import uvicorn

        self.sock = sock
        host, port = sock.getsockname()[:2]
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        config = uvicorn.Config(
            app,
            log_level="warning",  # request lines would drown the camera and event lines
            timeout_graceful_shutdown=graceful_s,  # SSE clients must not hold up a shutdown
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="api", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the API server stopped while starting (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the API server did not stop within %.0f s", timeout)
        self.sock.close()
