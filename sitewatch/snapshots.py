"""Evidence snapshots: the frame that best shows a violation, with its box drawn, as JPEG."""

from __future__ import annotations

import cv2
import numpy as np

from sitewatch.events import Evidence

_RED = (0, 0, 255)
JPEG_QUALITY = 88


def draw_box(image: np.ndarray, bbox: tuple[float, float, float, float], label: str, color=_RED) -> np.ndarray:
    """Return a copy of ``image`` with ``bbox`` outlined and ``label`` written above it."""
    out = image.copy()
    x1, y1, x2, y2 = (int(round(v)) for v in bbox)
    thickness = max(2, round(max(out.shape[:2]) / 400))
    cv2.rectangle(out, (x1, y1), (x2, y2), color, thickness)
    scale = max(0.5, max(out.shape[:2]) / 1600)
    (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    ty = y1 - 4 if y1 - th - base - 4 >= 0 else y2 + th + 4
    cv2.rectangle(out, (x1, ty - th - base), (x1 + tw + 4, ty + base), color, -1)
    cv2.putText(out, label, (x1 + 2, ty - 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def render_snapshot(evidence: Evidence, label: str) -> bytes:
    """JPEG bytes of the evidence frame with the violation's box and ``label`` drawn."""
    annotated = draw_box(evidence.image, evidence.bbox, label)
    ok, buf = cv2.imencode(".jpg", annotated, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding of the evidence frame failed")
    return buf.tobytes()
