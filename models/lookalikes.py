"""Draw helmet look-alikes (traffic cones, some strung with barrier tape, lamp heads on poles, balls) into training photos.

The Hard Hat Workers photos are close-ups of workers; they hold almost no
traffic cones, lamp posts or coloured balls, and a model trained on them alone
calls a far-away cone a helmet (vtest.avi, and every real site, is full of
cones). These objects are drawn into a share of the training photos as
unlabelled background, away from every labelled box, so the loss teaches
"a round or orange thing without a head under it is not a helmet".

Only the ``train`` split is changed: validation and test stay real photos, so
the figures measured on them are not flattered by the drawings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

# A drawn object: BGR pixels and an alpha mask in [0, 1], same height and width.
Sprite = tuple[np.ndarray, np.ndarray]


def _shaded(width: int, height: int, bgr: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    # Light from one side: a left-to-right brightness ramp makes the drawing
    # read as a solid body rather than a flat sticker.
    ramp = np.linspace(rng.uniform(0.55, 0.8), rng.uniform(1.0, 1.2), width, dtype=np.float32)
    if rng.random() < 0.5:
        ramp = ramp[::-1]
    body = np.empty((height, width, 3), np.float32)
    body[:] = np.asarray(bgr, np.float32)
    return np.clip(body * ramp[None, :, None], 0, 255)


def _hsv_to_bgr(h: float, s: float, v: float) -> tuple[float, float, float]:
    pixel = np.uint8([[[h, s, v]]])
    return tuple(float(c) for c in cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)[0, 0])


# Cone hues (OpenCV's 0-180 scale): orange/red, and yellow, the colour of many
# site cones and cone signs and of the commonest hard hat, so the likeliest to
# be taken for one.
CONE_HUES: tuple[tuple[float, float], ...] = ((0.0, 14.0), (20.0, 32.0))
YELLOW_CONE_SHARE = 0.4
# Road-works cone signs carry a round traffic sign (a red ring, a blue disc) on
# the body instead of reflective bands. At a distance the light top over a
# dark round patch reads like a hard hat over a face, the likeliest confusion
# of all, so a good share of the cones carry one.
SIGN_SHARE = 0.45
# BGR ring and centre colours of the round signs: red ring on white or blue,
# all-blue (mandatory direction), red with a white bar (no entry).
SIGN_COLOURS: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
    ((40, 40, 190), (230, 230, 230)),
    ((40, 40, 190), (150, 70, 30)),
    ((160, 80, 30), (160, 80, 30)),
    ((40, 40, 190), (240, 240, 240)),
)


def draw_cone(height: int, rng: np.random.Generator) -> Sprite:
    """A traffic cone: orange/red or yellow tapered body, a dark base plate, and either white
    reflective bands or a round traffic sign on the body (a cone sign).

    Tops range from pointed to blunt (cone signs and short cones are wide at the top).
    """
    width = max(4, int(height * rng.uniform(0.45, 0.75)))
    low, high = CONE_HUES[1] if rng.random() < YELLOW_CONE_SHARE else CONE_HUES[0]
    colour = _hsv_to_bgr(rng.uniform(low, high), rng.uniform(170, 255), rng.uniform(170, 255))
    pixels = _shaded(width, height, colour, rng)
    alpha = np.zeros((height, width), np.float32)
    base_h = max(1, int(height * rng.uniform(0.06, 0.12))) if rng.random() < 0.7 else 0
    body_h = height - base_h
    top_w = width * rng.uniform(0.1, 0.45)
    body_w = width * rng.uniform(0.75, 0.9)
    centre = (width - 1) / 2
    outline = np.array(
        [[centre - top_w / 2, 0], [centre + top_w / 2, 0], [centre + body_w / 2, body_h], [centre - body_w / 2, body_h]],
        np.float32,
    )
    cv2.fillConvexPoly(alpha, np.round(outline).astype(np.int32), 1.0, lineType=cv2.LINE_AA)
    if rng.random() < SIGN_SHARE:
        _draw_sign(pixels, centre, top_w, body_w, body_h, rng)
    else:
        white = np.float32(rng.uniform(200, 250))
        for band in range(int(rng.integers(1, 3))):
            y0 = int(body_h * (0.3 + 0.25 * band))
            y1 = min(body_h, y0 + max(1, int(body_h * rng.uniform(0.08, 0.14))))
            shade = pixels[y0:y1] / np.maximum(pixels[y0:y1].max(axis=2, keepdims=True), 1)
            pixels[y0:y1] = np.clip(shade * white, 0, 255)
    if base_h:
        alpha[body_h:] = 1.0
        pixels[body_h:] = _shaded(width, base_h, colour if rng.random() < 0.5 else (40, 40, 40), rng)
    return pixels, alpha


def _draw_sign(
    pixels: np.ndarray, centre: float, top_w: float, body_w: float, body_h: int, rng: np.random.Generator
) -> None:
    """Paint a round sign (ring and centre) on a cone body, in place, where the body is wide enough."""
    cy = body_h * rng.uniform(0.5, 0.68)
    width_there = top_w + (body_w - top_w) * cy / body_h
    radius = width_there * rng.uniform(0.3, 0.42)
    ring, middle = SIGN_COLOURS[int(rng.integers(len(SIGN_COLOURS)))]
    # Drawn with 3 fractional bits (1/8 px): a sign on a 15 px cone is a 3-4 px blob.
    shift = 3
    scale = 1 << shift
    at = (int(round(centre * scale)), int(round(cy * scale)))
    cv2.circle(pixels, at, max(1, int(round(radius * scale))), ring, -1, cv2.LINE_AA, shift)
    cv2.circle(pixels, at, max(1, int(round(radius * 0.65 * scale))), middle, -1, cv2.LINE_AA, shift)


def draw_lamp(height: int, rng: np.random.Generator) -> Sprite:
    """A lamp head or round sign on a pole: a shaded dome above a thin vertical bar."""
    width = max(4, int(height * rng.uniform(0.3, 0.5)))
    grey = rng.uniform(120, 245)
    tint = rng.uniform(0.85, 1.1, size=3)
    colour = tuple(float(c) for c in np.clip(grey * tint, 0, 255))
    pixels = _shaded(width, height, colour, rng)
    alpha = np.zeros((height, width), np.float32)
    dome_h = max(2, int(width * rng.uniform(0.5, 0.8)))
    cx = width // 2
    cv2.ellipse(alpha, (cx, dome_h), (max(1, width // 2 - 1), dome_h), 0, 180, 360, 1.0, -1, cv2.LINE_AA)
    alpha[dome_h: dome_h + max(1, dome_h // 4), 1:-1] = 1.0
    pole = max(1, width // 8)
    alpha[dome_h:, cx - pole // 2: cx - pole // 2 + pole] = 1.0
    pixels[dome_h + max(1, dome_h // 4):] *= 0.6
    return pixels, alpha


def draw_ball(height: int, rng: np.random.Generator) -> Sprite:
    """A ball or round bucket lid in a hard-hat colour (white, yellow, orange, red, blue)."""
    size = max(3, height // 3)
    hue = float(rng.choice([0, 12, 25, 30, 110]))
    saturation = 0.0 if rng.random() < 0.3 else rng.uniform(150, 255)
    colour = _hsv_to_bgr(hue, saturation, rng.uniform(170, 255))
    pixels = _shaded(size, size, colour, rng)
    alpha = np.zeros((size, size), np.float32)
    radius = max(1, size // 2 - 1)
    cv2.circle(alpha, (size // 2, size // 2), radius, 1.0, -1, cv2.LINE_AA)
    return pixels, alpha


# Barrier tape: red-and-white or black-and-yellow, strung from cone to cone
# at about half a cone's height. Sites fence off works this way, and a cone
# seen with tape across its middle is exactly what a far camera sees.
TAPE_COLOURS: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
    ((40, 40, 200), (235, 235, 235)),
    ((30, 30, 30), (30, 210, 235)),
)


def draw_taped_cone(height: int, rng: np.random.Generator) -> Sprite:
    """A cone (``draw_cone``) with barrier tape running from its middle off to one or both sides.

    The tape is drawn behind the cone, thin (a twentieth of its height or
    less), striped, and slightly sloped; the sprite is as wide as cone and tape.
    """
    cone_pixels, cone_alpha = draw_cone(height, rng)
    cone_w = cone_alpha.shape[1]
    left = int(cone_w * rng.uniform(1.5, 5.0)) if rng.random() < 0.7 else 0
    right = int(cone_w * rng.uniform(1.5, 5.0)) if not left or rng.random() < 0.6 else 0
    width = left + cone_w + right
    pixels = np.zeros((height, width, 3), np.float32)
    alpha = np.zeros((height, width), np.float32)
    y_mid = height * rng.uniform(0.3, 0.6)
    thickness = max(1, round(height * rng.uniform(0.03, 0.06)))
    stripe = max(2, round(thickness * rng.uniform(2.0, 4.0)))
    first, second = TAPE_COLOURS[0 if rng.random() < 0.6 else 1]
    for side, length in ((-1, left), (1, right)):
        if not length:
            continue
        # Sag or climb of up to a sixth of the cone's height over the run.
        drop = rng.uniform(-height / 6, height / 6)
        # From the cone's axis, behind it, so the tape meets the tapered body.
        x_start = left + cone_w / 2
        length += cone_w // 2
        for k, x0 in enumerate(range(0, length, stripe)):
            x1 = min(length, x0 + stripe)
            ya, yb = y_mid + drop * x0 / length, y_mid + drop * x1 / length
            xa, xb = (x_start - x0, x_start - x1) if side < 0 else (x_start + x0, x_start + x1)
            colour = first if k % 2 == 0 else second
            points = (round(xa), round(ya)), (round(xb), round(yb))
            cv2.line(pixels, *points, colour, thickness, cv2.LINE_AA)
            cv2.line(alpha, *points, 1.0, thickness, cv2.LINE_AA)
    # The cone over the tape.
    region = slice(left, left + cone_w)
    pixels[:, region] = pixels[:, region] * (1 - cone_alpha[..., None]) + cone_pixels * cone_alpha[..., None]
    alpha[:, region] = np.maximum(alpha[:, region], cone_alpha)
    return pixels, np.clip(alpha, 0.0, 1.0)


DRAWERS: tuple[tuple[Callable[[int, np.random.Generator], Sprite], float], ...] = (
    (draw_cone, 0.4),
    (draw_taped_cone, 0.2),
    (draw_lamp, 0.2),
    (draw_ball, 0.2),
)


def _free(box: tuple[int, int, int, int], taken: np.ndarray, margin: int) -> bool:
    if not len(taken):
        return True
    x0, y0, x1, y1 = box
    overlap_x = (np.minimum(x1 + margin, taken[:, 2]) - np.maximum(x0 - margin, taken[:, 0])) > 0
    overlap_y = (np.minimum(y1 + margin, taken[:, 3]) - np.maximum(y0 - margin, taken[:, 1])) > 0
    return not bool(np.any(overlap_x & overlap_y))


def paste(image: np.ndarray, sprite: Sprite, x: int, y: int) -> None:
    """Alpha-blend ``sprite`` into ``image`` (in place) with its top-left corner at (x, y)."""
    pixels, alpha = sprite
    h, w = alpha.shape
    region = image[y: y + h, x: x + w].astype(np.float32)
    blended = region * (1 - alpha[..., None]) + pixels * alpha[..., None]
    image[y: y + h, x: x + w] = np.clip(blended, 0, 255).astype(np.uint8)


def add_lookalikes(
    image: np.ndarray,
    boxes: np.ndarray,
    rng: np.random.Generator,
    count: int,
    attempts: int = 30,
    max_height: int | None = None,
) -> list[tuple[int, int, int, int]]:
    """Draw up to ``count`` look-alikes into ``image`` (in place) clear of ``boxes`` (N x 4 pixel xyxy).

    Returns the boxes drawn. Sizes span far-field (a dozen pixels) to near
    (a third of the photo height, or ``max_height``), since cones are mistaken
    at every distance.
    """
    img_h, img_w = image.shape[:2]
    taken = np.asarray(boxes, np.float32).reshape(-1, 4)
    drawn: list[tuple[int, int, int, int]] = []
    drawers, weights = zip(*DRAWERS, strict=True)
    for _ in range(count):
        draw = drawers[int(rng.choice(len(drawers), p=np.asarray(weights) / sum(weights)))]
        tallest = img_h / 3 if max_height is None else min(max_height, img_h / 3)
        height = int(np.exp(rng.uniform(np.log(12), np.log(max(13, tallest)))))
        pixels, alpha = draw(height, rng)
        h, w = alpha.shape
        if h >= img_h or w >= img_w:
            continue
        for _ in range(attempts):
            x, y = int(rng.integers(0, img_w - w)), int(rng.integers(0, img_h - h))
            if _free((x, y, x + w, y + h), taken, margin=2):
                # Soften to the photo's own sharpness: a crisp drawing in a
                # blurry photo would be learnt as "crisp means not a helmet".
                if h > 8:
                    pixels = cv2.GaussianBlur(pixels, (3, 3), 0)
                paste(image, (pixels, alpha), x, y)
                drawn.append((x, y, x + w, y + h))
                taken = np.vstack([taken, np.float32([[x, y, x + w, y + h]])])
                break
    return drawn


def read_yolo_labels(text: str) -> np.ndarray:
    """YOLO label lines -> float32 (N, 5): class, cx, cy, w, h (normalised)."""
    rows = [line.split()[:5] for line in text.splitlines() if len(line.split()) >= 5]
    return np.asarray(rows, np.float32).reshape(-1, 5)


def yolo_boxes_to_pixels(label_text: str, width: int, height: int) -> np.ndarray:
    """YOLO label lines (class cx cy w h, normalised) -> N x 4 pixel xyxy."""
    return cxcywh_to_pixel_xyxy(read_yolo_labels(label_text)[:, 1:5], width, height)


def cxcywh_to_pixel_xyxy(cxcywh: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised (N, 4) cx, cy, w, h -> (N, 4) pixel x1, y1, x2, y2 (float32)."""
    scaled = np.asarray(cxcywh, np.float32).reshape(-1, 4) * np.float32([width, height, width, height])
    return np.column_stack([scaled[:, :2] - scaled[:, 2:] / 2, scaled[:, :2] + scaled[:, 2:] / 2]).reshape(-1, 4)
