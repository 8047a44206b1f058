"""POST one message to one webhook target, signed."""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Self
from urllib.parse import urlsplit

import httpx

from sitewatch.config.push import WebhookTarget
from sitewatch.push.signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from sitewatch.store.payload import encode_message as encode

USER_AGENT = "sitewatch-webhook/1"

# Answers that say the receiver as a whole is down or overloaded, not that it refuses this message.
TARGET_DOWN_STATUS = frozenset({429, 502, 503, 504})


class DeliveryFailed(Exception):
    """The receiver did not take the message; the text is safe to store and show (no secrets).

    ``target_down`` means the whole target is unreachable or overloaded (no answer, 429,
    502-504), so the rest of the round waits; otherwise only this message was refused.
    """

    def __init__(self, message: str, *, target_down: bool = False):
        super().__init__(message)
        self.target_down = target_down


def safe_url(url: str) -> str:
    """The URL without user, password, query or fragment: fit for logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def quiet_http_logs() -> None:
    """httpx logs every request's full URL at INFO, and a target's URL may carry a password or token."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class _Deadline:
    """Ends a request that is still running after ``seconds``, whatever it is waiting for.

    httpx's timeouts bound each read and write, so a receiver that drips its answer a
    byte at a time could hold a send for hours. httpx's ``trace`` extension hands over
    each new connection's socket; at the deadline it is shut down, which wakes the
    blocked read. Connections are not kept alive, so every request has a new socket.
    """

    def __init__(self, seconds: float):
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._timer.cancel()

    def trace(self, name: str, info: dict) -> None:
        if name in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")
                if self.expired:
                    self._shut()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            try:
                # the plain socket call: SSLSocket.shutdown would drop its TLS state under the reader
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: the request ended by itself


class WebhookSender:
    channel = "webhook"

    def __init__(self, target: WebhookTarget, client: httpx.Client | None = None):
        self.target = target
        self.name = f"webhook:{target.name}"
        self.destination = safe_url(str(target.url))
        self._client = client  # one passed in should not keep connections alive either (see _Deadline)
        self._lock = threading.Lock()
        quiet_http_logs()

    @property
    def send_timeout_s(self) -> float:
        """The longest one ``send`` takes."""
        return self.target.timeout_s

    def _http(self) -> httpx.Client:
        # opened again after close(): the service's last round at shutdown runs after stop()
        with self._lock:
            if self._client is None or self._client.is_closed:
                self._client = httpx.Client(
                    timeout=self.target.timeout_s,
                    follow_redirects=False,
                    limits=httpx.Limits(max_keepalive_connections=0),  # see _Deadline
                )
            return self._client

    def send(self, message: dict) -> None:
        body = encode(message)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: message["idempotency_key"],
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self.target.secret.get_secret_value(), timestamp, body),
        }
        client = self._http()
        with _Deadline(self.target.timeout_s) as deadline:
            try:
                request = client.build_request(
                    "POST",
                    str(self.target.url),
                    content=body,
                    headers=headers,
                    extensions={"trace": deadline.trace},
                )
                # only the status counts: the answer's body is never read, so it cannot hold the send
                response = client.send(request, stream=True)
                response.close()
            except httpx.HTTPError as exc:
                if deadline.expired:
                    raise DeliveryFailed(
                        f"no answer within {self.target.timeout_s:g} s", target_down=True
                    ) from None
                raise DeliveryFailed(f"{type(exc).__name__}", target_down=True) from None
        status = response.status_code
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}", target_down=status in TARGET_DOWN_STATUS)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
