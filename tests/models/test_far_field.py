"""Far-field canvases made from close-up photos (models/far_field.py), on made-up images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.models.far_field import (
    CANVAS_WH,
    PAD_GREY,
    compose_grid,
    degrade,
    format_yolo_labels,
    read_yolo_labels,
    write_evaluation_grids,
    write_training_grids,
)


def photo(width: int, height: int, value: int = 200) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


def labels(*rows) -> np.ndarray:
    return np.asarray(rows, np.float32).reshape(-1, 5)


@pytest.mark.parametrize(
    ("size", "slot", "grid", "label", "expected"),
    [
        # 200x100 into a 384x288 cell: scaled 1.92x to 384x192, centred 48 px down.
        ((200, 100), 0, 2, (0, 0.5, 0.5, 0.1, 0.2), (0, 0.25, 0.25, 0.05, 0.2 * 192 / 576)),
        # 100x100 in the bottom-right cell: 288x288 at x 432, y 288.
        ((100, 100), 3, 2, (1, 0.5, 0.5, 0.5, 0.5), (1, 0.75, 0.75, 144 / 768, 0.25)),
        # A box at a photo's corner stays at that corner of its cell (4x4: 192x144 cells).
        ((192, 144), 5, 4, (2, 0.25, 0.25, 0.5, 0.5), (2, (192 + 48) / 768, (144 + 36) / 576, 0.125, 0.125)),
    ],
)
def test_labels_follow_their_photo_into_its_cell(size, slot, grid, label, expected):
    photos = [(photo(*size), labels())] * slot + [(photo(*size), labels(label))]
    canvas, out = compose_grid(photos, grid)
    assert canvas.shape == (CANVAS_WH[1], CANVAS_WH[0], 3)
    np.testing.assert_allclose(out, labels(expected), atol=1e-5)


def test_pixels_land_in_the_cell_and_the_rest_is_padding():
    canvas, _ = compose_grid([(photo(200, 100, value=30), labels())], grid=2)
    assert (canvas[48:240, 0:384] == 30).all(), "the photo, scaled to 384x192, centred in the first cell"
    assert (canvas[:48, :384] == PAD_GREY).all() and (canvas[:, 384:] == PAD_GREY).all()


def test_boxes_shrunk_below_three_pixels_are_dropped():
    # 4x4 cells are 192 px wide: a box a 100th of a 192 px photo wide becomes 1.9 px.
    canvas, out = compose_grid([(photo(192, 144), labels((0, 0.5, 0.5, 0.01, 0.5), (1, 0.5, 0.5, 0.2, 0.2)))], 4)
    assert out[:, 0].tolist() == [1]


@pytest.mark.parametrize(("count", "grid"), [(5, 2), (10, 3)])
def test_too_many_photos_for_the_grid_is_an_error(count, grid):
    with pytest.raises(ValueError, match="do not fit"):
        compose_grid([(photo(10, 10), labels())] * count, grid)


def test_label_text_round_trip():
    rows = labels((0, 0.5, 0.25, 0.1, 0.2), (2, 0.125, 0.75, 0.05, 0.5))
    assert read_yolo_labels(format_yolo_labels(rows)).tolist() == rows.tolist()
    assert read_yolo_labels("").shape == (0, 5)


def test_degrade_blurs_and_keeps_the_size():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)
    out = degrade(image, blur_sigma=1.0, jpeg_quality=30)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out.astype(np.float32).std() < image.astype(np.float32).std(), "blur and compression remove detail"


def make_split(root: Path, count: int, unreadable: int | None = None) -> list[tuple[Path, Path]]:
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir(parents=True)
    pairs = []
    for n in range(count):
        image, label = root / "images" / f"p{n}.jpg", root / "labels" / f"p{n}.txt"
        if n == unreadable:
            image.write_text("not a picture")
        else:
            cv2.imwrite(str(image), photo(120, 90, value=10 * n))
        label.write_text(f"{n % 3} 0.5 0.5 0.4 0.4\n")
        pairs.append((image, label))
    return pairs


def test_evaluation_grids_keep_the_photo_order_and_skip_unreadable_images(tmp_path):
    pairs = make_split(tmp_path / "split", count=6, unreadable=2)
    assert write_evaluation_grids(pairs, tmp_path / "out", grid=2) == 2
    first = read_yolo_labels((tmp_path / "out" / "labels" / "grid00000.txt").read_text())
    assert first[:, 0].tolist() == [0, 1, 0], "p0, p1, p3: p2 cannot be read"
    second = read_yolo_labels((tmp_path / "out" / "labels" / "grid00001.txt").read_text())
    assert second[:, 0].tolist() == [1, 2], "p4, p5"
    canvas = cv2.imread(str(tmp_path / "out" / "images" / "grid00000.png"))
    assert canvas.shape == (576, 768, 3) and canvas[144, 192, 0] == 0, "p0 (black) in the first cell"


def test_training_grids_are_deterministic_and_sized_as_asked(tmp_path):
    pairs = make_split(tmp_path / "split", count=20)
    labels_text = {image.stem: label.read_text() for image, label in pairs}
    runs = []
    for name in ("a", "b"):
        assert write_training_grids([image for image, _ in pairs], labels_text, tmp_path / name, 7, seed=3,
                                    lookalikes=0.5) == 7
        runs.append([p.read_bytes() for p in sorted((tmp_path / name).rglob("*.*"))])
    assert runs[0] == runs[1] and len(runs[0]) == 14
    for label_file in (tmp_path / "a" / "labels").iterdir():
        rows = read_yolo_labels(label_file.read_text())
        assert 4 <= len(rows) <= 16, "a 2x2 to 4x4 grid of labelled photos"
        assert ((rows[:, 1:] > 0) & (rows[:, 1:] < 1)).all()
    other = tmp_path / "c"
    write_training_grids([image for image, _ in pairs], labels_text, other, 7, seed=4)
    assert [p.read_bytes() for p in sorted(other.rglob("*.*"))] != runs[0]


def test_training_grids_replace_an_earlier_build(tmp_path):
    pairs = make_split(tmp_path / "split", count=8)
    labels_text = {image.stem: label.read_text() for image, label in pairs}
    write_training_grids([image for image, _ in pairs], labels_text, tmp_path / "out", 5, seed=0)
    write_training_grids([image for image, _ in pairs], labels_text, tmp_path / "out", 2, seed=0)
    assert len(list((tmp_path / "out" / "images").iterdir())) == 2
