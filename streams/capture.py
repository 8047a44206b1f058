"""Opening a network stream with OpenCV's FFmpeg backend, without leaking its URL.

- Transport: RTSP over TCP. Over UDP a lossy site network shows up as smeared
  pictures; TCP retransmits instead, and passes firewalls and NAT. OpenCV
  takes FFmpeg options only from the process environment
  (``OPENCV_FFMPEG_CAPTURE_OPTIONS``, read at every open), so they are set
  once when this module is imported, before any reader thread exists;
  options the user set there win.
- Timeouts: OpenCV's own interrupt callback bounds the open and every read,
  so a dead camera cannot hang a reader thread.
- Secrets: camera URLs carry credentials. FFmpeg's console output is silenced
  (``OPENCV_FFMPEG_LOGLEVEL=-8``, set in ``sitewatch/__init__.py``), errors
  raised here carry only redacted text, and ``scrub`` removes the URL and its
  secrets from any other message (a ``cv2.error``) before it is logged.
- Diagnosis: OpenCV only says "not opened". A failed open is followed by a
  plain TCP connect to the camera's port to tell "connection refused" or
  "unknown host" from a server that accepts connections; of those, an open
  that used up the whole open timeout is a server that connected but sent no
  stream in time (hung, overloaded), one that failed sooner a server that
  answered with a refusal (wrong path or credentials, or no video).
- Opens are serialized here, as OpenCV serializes them anyway (one global
  lock around FFmpeg's open): timing the open inside this lock measures the
  camera, not the wait behind another camera that hangs.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from urllib.parse import parse_qsl, unquote, urlsplit

import cv2

from sitewatch.config.cameras import REDACTED, redact_url

_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# analyzeduration: FFmpeg probes 5 s of a stream by default before it reports
# it open; 1 s is enough for a camera's single H.264/H.265 video track and
# makes every (re)connect several seconds faster.
_DEFAULT_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "1000000"}
_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}
# FFmpeg's interrupt callback fires once the open timeout has passed, and the open returns
# right after; an open that failed this close to the timeout was cut off, not refused.
_TIMED_OUT_FRACTION = 0.9
_OPEN_LOCK = threading.Lock()


def _install_capture_options() -> None:
    given = os.environ.get(_OPTIONS_ENV, "")
    keys = {item.split(";", 1)[0] for item in given.split("|") if item}
    extra = [f"{key};{value}" for key, value in _DEFAULT_OPTIONS.items() if key not in keys]
    if extra:
        os.environ[_OPTIONS_ENV] = "|".join(([given] if given else []) + extra)


_install_capture_options()


class StreamOpenError(Exception):
    """A stream could not be opened; the message is safe to log (no credentials)."""


def secrets_of(url: str) -> list[str]:
    """The parts of ``url`` that must never be shown: user, password, credential-looking query values."""
    try:
        parts = urlsplit(url)
        found = [parts.username or "", parts.password or ""]
        # Whatever redact_url hides in the query is a secret too.
        original = parse_qsl(parts.query, keep_blank_values=True)
        shown = parse_qsl(urlsplit(redact_url(url)).query, keep_blank_values=True)
        found += [value for (_, value), (_, safe) in zip(original, shown) if safe != value]
    except ValueError:
        return [url]
    found += [unquote(s) for s in found]
    # Longest first, so that a password containing the user name is replaced whole.
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` with ``url`` and each of its secrets replaced by redacted forms."""
    text = text.replace(url, redact_url(url))
    for secret in secrets_of(url):
        text = text.replace(secret, REDACTED)
    return text


def open_capture(url: str, open_timeout_s: float, read_timeout_s: float) -> cv2.VideoCapture:
    """An opened ``cv2.VideoCapture`` of ``url``; ``StreamOpenError`` (redacted, with a cause) if it fails."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        max(1, round(open_timeout_s * 1000)),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        max(1, round(read_timeout_s * 1000)),
    ]
    with _OPEN_LOCK:
        began = time.monotonic()
        try:
            capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        except cv2.error as exc:
            # "from None": the original exception's text may hold the URL and
            # would be printed with any traceback.
            raise StreamOpenError(f"OpenCV could not open the stream: {scrub(str(exc), url)}") from None
        took_s = time.monotonic() - began
    if not capture.isOpened():
        capture.release()
        timed_out = open_timeout_s if took_s >= _TIMED_OUT_FRACTION * open_timeout_s else None
        reason = diagnose_open_failure(url, min(open_timeout_s, 3.0), timed_out_after_s=timed_out)
        raise StreamOpenError(reason)
    return capture


def diagnose_open_failure(url: str, timeout_s: float, *, timed_out_after_s: float | None = None) -> str:
    """A short reason why ``url`` did not open, found by a plain TCP connect to its host.

    ``timed_out_after_s``: the open was cut off by its timeout (this many seconds) rather than refused.
    """
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "malformed URL"
    scheme = parts.scheme.lower()
    if not host or scheme not in _DEFAULT_PORTS:
        return "the stream did not open (no such file, or a format FFmpeg cannot read)"
    port = port or _DEFAULT_PORTS[scheme]
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except socket.gaierror:
        return f"unknown host {host}"
    except TimeoutError:
        return f"no answer from {host}:{port} within {timeout_s:g} s"
    except OSError as exc:
        return (exc.strerror or type(exc).__name__).lower()
    if timed_out_after_s is not None:
        # Connected, yet nothing usable came back in time: telling the user to check the
        # path or password would send him the wrong way.
        return (
            f"the server accepted the connection but sent no stream within {timed_out_after_s:g} s "
            "(server hung or overloaded)"
        )
    return "the server answered but the stream did not open (wrong path or credentials, or no video)"
