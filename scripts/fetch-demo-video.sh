#!/usr/bin/env bash
# Fetch vtest.avi, a public CCTV clip (768x576, 10 fps, 795 frames) of people
# walking past traffic cones, from Debian's opencv-doc package.
set -euo pipefail
dest="${1:-.cache/demo/vtest.avi}"
[ -s "$dest" ] && exit 0
mkdir -p "$(dirname "$dest")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q opencv-doc >/dev/null 2>&1) || {
  echo "cannot download Debian's opencv-doc package (apt-get download opencv-doc)" >&2; exit 1; }
dpkg -x "$work"/opencv-doc_*.deb "$work/x"
cp "$(find "$work/x" -name vtest.avi | head -n 1)" "$dest"
echo "demo video: $dest"
