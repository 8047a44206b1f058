"""A small RTSP server for tests: GStreamer's RTSP server serving test patterns.

Runs under the system Python (``/usr/bin/python3``), which has the GObject
bindings; the project's virtual environment does not need them. Each mount is
given on the command line as ``PATH=PATTERN:WIDTHxHEIGHT[@FPS]``:

    /usr/bin/python3 rtsp_server.py --port 0 --mount /cam1=ball:320x240 --mount /still=smpte75:320x240

``PATTERN`` is a ``videotestsrc`` pattern: ``ball`` moves, ``smpte75`` and
``black`` never change (a frozen camera; not ``smpte``, which has a patch of
moving noise). With ``--auth USER:PASSWORD`` every
mount asks for that user and password (HTTP basic; a client must first be
refused with 401 before FFmpeg sends credentials, so the server cannot mix
open and protected mounts). With port 0 the system picks a free port. Once listening the server prints
``READY <port>`` on stdout; it runs until killed.
"""

from __future__ import annotations

import argparse
import re
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

_MOUNT = re.compile(r"^(/[\w/-]+)=([\w-]+):(\d+)x(\d+)(?:@(\d+))?$")
_ROLE_USER = "user"


def launch_line(pattern: str, width: int, height: int, fps: int) -> str:
    # A key frame every second keeps the time a fresh client waits for a
    # decodable picture short; zerolatency stops x264 from buffering frames.
    return (
        f"( videotestsrc pattern={pattern} is-live=true "
        f"! video/x-raw,width={width},height={height},framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def make_token(role: str) -> GstRtspServer.RTSPToken:
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, role)
    return token


def permissions_for(role: str) -> GstRtspServer.RTSPPermissions:
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
    permissions.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
    return permissions


def build_server(port: int, mounts: list[str], auth: str | None) -> GstRtspServer.RTSPServer:
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    if auth is not None:
        user, password = auth.split(":", 1)
        rtsp_auth = GstRtspServer.RTSPAuth()
        rtsp_auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), make_token(_ROLE_USER))
        server.set_auth(rtsp_auth)
    points = server.get_mount_points()
    for spec in mounts:
        match = _MOUNT.match(spec)
        if match is None:
            sys.exit(f"bad --mount {spec!r}: use PATH=PATTERN:WIDTHxHEIGHT[@FPS]")
        path, pattern, width, height, fps = match.groups()
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_line(pattern, int(width), int(height), int(fps or 10)))
        # One pipeline shared by all clients of a mount, as a camera would be.
        factory.set_shared(True)
        if auth is not None:
            factory.set_permissions(permissions_for(_ROLE_USER))
        points.add_factory(path, factory)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mount", action="append", default=[], required=True)
    parser.add_argument("--auth", help="USER:PASSWORD every mount asks for")
    args = parser.parse_args()
    Gst.init(None)
    server = build_server(args.port, args.mount, args.auth)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {args.port}")
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
