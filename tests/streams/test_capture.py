"""Opening streams: failures are diagnosed, and nothing secret reaches a message."""

from __future__ import annotations

import socket
import threading

import pytest

from sitewatch.streams.capture import StreamOpenError, diagnose_open_failure, open_capture, scrub, secrets_of


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("rtsp://admin:hunter22@10.0.0.5/ch1", "cannot open rtsp://admin:hunter22@10.0.0.5/ch1 (401)",
         "cannot open rtsp://***@10.0.0.5/ch1 (401)"),
        ("rtsp://admin:hunter22@10.0.0.5/ch1", "auth failed: admin, hunter22", "auth failed: ***, ***"),
        ("rtsp://op:p%40ss@cam/x", "bad password p@ss", "bad password ***"),  # percent-decoded too
        ("http://cam/video.cgi?user=bob&pwd=zz9x&res=hd", "GET /video.cgi?user=bob&pwd=zz9x&res=hd",
         "GET /video.cgi?user=***&pwd=***&res=hd"),
        ("rtsp://10.0.0.5/ch1", "timeout on rtsp://10.0.0.5/ch1", "timeout on rtsp://10.0.0.5/ch1"),
    ],
)
def test_scrub_removes_url_credentials_and_secret_query_values(url, text, expected):
    assert scrub(text, url) == expected


def test_secrets_are_replaced_longest_first():
    assert secrets_of("rtsp://adm:adm123@h/") == ["adm123", "adm"]
    assert scrub("adm123", "rtsp://adm:adm123@h/") == "***"


def test_refused_connection_is_named(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"rtsp://viewer:pa55word@127.0.0.1:{port}/stream"
    with pytest.raises(StreamOpenError) as info:
        open_capture(url, 2.0, 2.0)
    assert str(info.value) == "connection refused"
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_server_that_answers_but_serves_no_stream():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        host, port = listener.getsockname()
        assert "server answered" in diagnose_open_failure(f"rtsp://{host}:{port}/x", 1.0)


def test_server_that_accepts_but_never_answers_is_not_blamed_on_path_or_credentials():
    # A hung NVR: the kernel completes the TCP handshake, the server never says a word.
    accepted: list[socket.socket] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def accept() -> None:
            try:
                while True:
                    accepted.append(listener.accept()[0])
            except OSError:  # the listener was closed
                pass

        threading.Thread(target=accept, daemon=True).start()
        try:
            with pytest.raises(StreamOpenError) as info:
                open_capture(f"rtsp://viewer:pa55word@127.0.0.1:{port}/stream", 1.0, 1.0)
        finally:
            for conn in accepted:
                conn.close()
    assert str(info.value) == (
        "the server accepted the connection but sent no stream within 1 s (server hung or overloaded)"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [("/no/such/file.mp4", "no such file"), ("rtsp://user:pw@no-such-host.invalid/x", "unknown host")],
)
def test_other_failures_are_described(url, expected):
    assert expected in diagnose_open_failure(url, 1.0)
