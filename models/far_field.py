"""Far-field training and evaluation images made from close-up photos.

The Hard Hat Workers photos are close-ups: the median labelled head is about
a tenth of the photo's height. A site camera sees a worker's head at 8-20 px
in a 768x576 frame, and vtest.avi showed what a model trained on close-ups
does there: short dark hair is a ``head``, but a bald, grey or fair head,
blurred and seen from above, is a round pale blob and comes out ``helmet``.
Ultralytics' own scale augmentation (down to 0.4x) does not reach that size.

A *grid* here is a 768x576 canvas holding ``k x k`` photos, each shrunk into
its cell with its labels, so a head shrinks k-fold or more. Training adds such
canvases (some blurred and JPEG-compressed as CCTV is, some with look-alikes
drawn in at far-field size) to the train split; evaluation builds them, without
any randomness, from the valid or test photos, as a far-field measure that
needs no labelled far-field footage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from sitewatch.models.lookalikes import add_lookalikes, cxcywh_to_pixel_xyxy, read_yolo_labels

CANVAS_WH: tuple[int, int] = (768, 576)  # a common CCTV frame size (vtest.avi's)
PAD_GREY = 114  # Ultralytics' letterbox grey: cell borders look like its padding
# A label shrunk below this many pixels on either side is dropped: nothing
# can be seen of it any more, and the loss would punish a model for missing it.
MIN_BOX_PX = 3.0
# Training canvases: how many photos across (2, 3 or 4) and how often each.
GRID_CHOICES: tuple[int, ...] = (2, 3, 4)
GRID_WEIGHTS: tuple[float, ...] = (0.2, 0.4, 0.4)
DEGRADED_SHARE = 0.5  # of training canvases blurred and JPEG-compressed
FAR_LOOKALIKE_PX = 40  # tallest look-alike drawn into a canvas


def format_yolo_labels(labels: np.ndarray) -> str:
    return "".join(f"{int(c)} {x:.6f} {y:.6f} {w:.6f} {h:.6f}\n" for c, x, y, w, h in labels)


def compose_grid(
    photos: Sequence[tuple[np.ndarray, np.ndarray]], grid: int, canvas_wh: tuple[int, int] = CANVAS_WH
) -> tuple[np.ndarray, np.ndarray]:
    """Shrink up to ``grid * grid`` photos into the cells of one canvas, row by row.

    ``photos`` are (BGR image, labels as from :func:`read_yolo_labels`). Each
    photo keeps its aspect ratio and is centred in its cell. Returns the canvas
    and its labels (normalised to the canvas), without boxes below ``MIN_BOX_PX``.
    """
    if grid < 1:
        raise ValueError(f"grid must be at least 1, got {grid}")
    if len(photos) > grid * grid:
        raise ValueError(f"{len(photos)} photos do not fit a {grid}x{grid} grid")
    width, height = canvas_wh
    cell_w, cell_h = width // grid, height // grid
    canvas = np.full((height, width, 3), PAD_GREY, np.uint8)
    placed = []
    for slot, (image, labels) in enumerate(photos):
        img_h, img_w = image.shape[:2]
        scale = min(cell_w / img_w, cell_h / img_h)
        new_w, new_h = max(1, round(img_w * scale)), max(1, round(img_h * scale))
        x0 = (slot % grid) * cell_w + (cell_w - new_w) // 2
        y0 = (slot // grid) * cell_h + (cell_h - new_h) // 2
        canvas[y0 : y0 + new_h, x0 : x0 + new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        if len(labels):
            moved = labels.copy()
            moved[:, 1] = (x0 + labels[:, 1] * new_w) / width
            moved[:, 2] = (y0 + labels[:, 2] * new_h) / height
            moved[:, 3] = labels[:, 3] * new_w / width
            moved[:, 4] = labels[:, 4] * new_h / height
            placed.append(moved)
    labels = np.concatenate(placed) if placed else np.zeros((0, 5), np.float32)
    visible = (labels[:, 3] * width >= MIN_BOX_PX) & (labels[:, 4] * height >= MIN_BOX_PX)
    return canvas, labels[visible]


def degrade(image: np.ndarray, blur_sigma: float, jpeg_quality: int) -> np.ndarray:
    """What a CCTV recorder does to a picture: optical/codec blur, then lossy compression."""
    if blur_sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur_sigma)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


def write_training_grids(
    photos: Sequence[Path],
    labels_text: Mapping[str, str],
    dest: Path,
    count: int,
    seed: int,
    lookalikes: float = 0.0,
) -> int:
    """Write ``count`` far-field canvases made from random ``photos`` (train photos) into ``dest/{images,labels}``.

    Each canvas takes a grid size from ``GRID_CHOICES``; ``DEGRADED_SHARE`` of
    them are blurred and compressed; ``lookalikes`` of them get one to three
    far-field look-alikes drawn in as background. Deterministic for a seed.
    Returns how many canvases were written.
    """
    if not photos or count <= 0:
        return 0
    out_images, out_labels = dest / "images", dest / "labels"
    for folder in (out_images, out_labels):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
    rng = np.random.default_rng(seed)
    weights = np.asarray(GRID_WEIGHTS) / sum(GRID_WEIGHTS)
    for n in range(count):
        # Every canvas draws all of its random numbers up front, so one
        # unreadable photo does not shift every later canvas.
        grid = int(rng.choice(GRID_CHOICES, p=weights))
        # Without repeats where the split is big enough (a small one repeats photos).
        picks = rng.choice(len(photos), size=grid * grid, replace=len(photos) < grid * grid)
        blur, quality = float(rng.uniform(0.4, 1.1)), int(rng.integers(20, 60))
        degraded, drawn, canvas_seed = rng.random() < DEGRADED_SHARE, rng.random() < lookalikes, int(rng.integers(2**31))
        cells = []
        for index in picks:
            photo = photos[int(index)]
            image = cv2.imread(str(photo))
            if image is not None:
                cells.append((image, read_yolo_labels(labels_text.get(photo.stem, ""))))
        canvas, labels = compose_grid(cells, grid)
        if drawn:
            boxes = cxcywh_to_pixel_xyxy(labels[:, 1:5], canvas.shape[1], canvas.shape[0])
            canvas_rng = np.random.default_rng(canvas_seed)
            add_lookalikes(canvas, boxes, canvas_rng, int(canvas_rng.integers(1, 4)), max_height=FAR_LOOKALIKE_PX)
        if degraded:
            canvas = degrade(canvas, blur, quality)
        name = f"far{n:05d}"
        cv2.imwrite(str(out_images / f"{name}.jpg"), canvas, [cv2.IMWRITE_JPEG_QUALITY, 95])
        (out_labels / f"{name}.txt").write_text(format_yolo_labels(labels))
    return count


def write_evaluation_grids(photos: Sequence[tuple[Path, Path]], dest: Path, grid: int) -> int:
    """Write (image, label file) pairs, ``grid * grid`` per canvas in the order given, as YOLO images and labels.

    Canvases go to ``dest/images`` and ``dest/labels``. No randomness and no
    degradation: the same photos and grid always give the same canvases, so
    far-field figures of two models compare. An unreadable image is left out.
    Returns the number of canvases.
    """
    if grid < 1:
        raise ValueError(f"grid must be at least 1, got {grid}")
    per_canvas = grid * grid
    (dest / "images").mkdir(parents=True, exist_ok=True)
    (dest / "labels").mkdir(parents=True, exist_ok=True)
    written = 0
    for start in range(0, len(photos), per_canvas):
        cells = []
        for image_path, label_path in photos[start : start + per_canvas]:
            image = cv2.imread(str(image_path))
            if image is None:
                continue
            cells.append((image, read_yolo_labels(label_path.read_text() if label_path.is_file() else "")))
        if not cells:
            continue
        canvas, canvas_labels = compose_grid(cells, grid)
        name = f"grid{written:05d}"
        # PNG: the canvases are measured as the photos are, without another lossy step.
        cv2.imwrite(str(dest / "images" / f"{name}.png"), canvas)
        (dest / "labels" / f"{name}.txt").write_text(format_yolo_labels(canvas_labels))
        written += 1
    return written
