"""Synthetic labelled photos for the clip-evaluation tests (importable from any test)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from sitewatch.config.rules import OutOfHoursSettings, RulesSettings
from sitewatch.evaluation.make_clips import ClipMakerOptions

PHOTO_SIZE = (200, 150)
BACKGROUND = (128, 128, 128)
# BGR colours of the drawn objects, by class: head red, helmet green, person blue.
COLOURS = {0: (40, 40, 220), 1: (40, 200, 40), 2: (220, 60, 40)}
# Rules whose times fit clips of a few seconds (the defaults want 30 s of presence out of hours).
SHORT_RULES = RulesSettings(
    out_of_hours=OutOfHoursSettings(persistence_s=1.0, dropout_s=1.0, close_after_s=2.0)
)


def photo_objects(n: int) -> list[tuple[int, tuple[int, int, int, int]]]:
    """(class id, pixel xyxy) of the objects drawn on photo ``n``: one of each class, apart.

    Everything lies in the part of the photo every view of the clip maker shows
    (up to 1.25x zoom), and each photo's bare head sits where no other photo's
    does, so a cut never puts a new head on top of the last one.
    """
    x = 40 + 32 * (n % 4)
    return [
        (0, (x, 30, x + 24, 54)),  # a bare head
        (1, (45, 62, 75, 92)),  # a helmet
        (2, (100, 62, 155, 118)),  # a person
    ]


def write_photo_set(root: Path, photos: int = 4) -> Path:
    """A YOLO data set (``test`` split) of flat grey photos with coloured, exactly labelled rectangles."""
    images, labels = root / "test" / "images", root / "test" / "labels"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    w, h = PHOTO_SIZE
    for n in range(photos):
        image = np.full((h, w, 3), BACKGROUND, np.uint8)
        lines = []
        for class_id, (x1, y1, x2, y2) in photo_objects(n):
            image[y1:y2, x1:x2] = COLOURS[class_id]
            lines.append(
                f"{class_id} {(x1 + x2) / 2 / w} {(y1 + y2) / 2 / h} {(x2 - x1) / w} {(y2 - y1) / h}"
            )
        cv2.imwrite(str(images / f"photo{n}.png"), image)
        (labels / f"photo{n}.txt").write_text("\n".join(lines) + "\n")
    (root / "data.yaml").write_text("path: .\ntest: test/images\nnames: [head, helmet, person]\n")
    return root


def small_options(**changes) -> ClipMakerOptions:
    values = dict(
        photos_per_clip=2, seconds_per_photo=2.0, fps=5.0, width=160, height=120, rules=SHORT_RULES, seed=3
    )
    values.update(changes)
    return ClipMakerOptions(**values)
