"""Letterbox geometry, padding, and the mapping of boxes back to the original picture."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.detector.letterbox import PAD_VALUE, Placement, letterbox, letterbox_geometry

# (width, height, target_h, target_w): landscape, portrait, square, tiny (upscaled),
# odd sizes that leave an odd padding, a rectangular static input.
SIZES = [
    (768, 576, 416, 416),
    (576, 768, 416, 416),
    (640, 640, 416, 416),
    (1920, 1080, 640, 640),
    (300, 100, 128, 128),
    (20, 30, 128, 128),
    (417, 233, 416, 416),
    (768, 576, 96, 128),
    (500, 200, 96, 128),
]


@pytest.mark.parametrize(("width", "height", "target_h", "target_w"), SIZES)
def test_geometry_fits_and_keeps_aspect(width, height, target_h, target_w):
    g = letterbox_geometry(width, height, target_h, target_w)
    assert g.resized_w + g.left + g.right == target_w
    assert g.resized_h + g.top + g.bottom == target_h
    assert min(g.left, g.right, g.top, g.bottom) >= 0
    # One side fills the target; the other keeps the aspect to within a pixel's rounding.
    assert g.resized_w == target_w or g.resized_h == target_h
    assert abs(g.resized_w / g.resized_h - width / height) <= (width / height) * (
        1 / min(g.resized_w, g.resized_h)
    )
    # Padding is split evenly, any odd pixel going to the bottom / right.
    assert 0 <= g.right - g.left <= 1 and 0 <= g.bottom - g.top <= 1


@pytest.mark.parametrize(("width", "height", "target_h", "target_w"), SIZES)
def test_picture_is_target_size_with_grey_padding(width, height, target_h, target_w):
    image = np.full((height, width, 3), 7, np.uint8)
    picture, placement = letterbox(image, target_h, target_w)
    g = letterbox_geometry(width, height, target_h, target_w)
    assert picture.shape == (target_h, target_w, 3) and picture.dtype == np.uint8
    content = np.zeros((target_h, target_w), bool)
    content[g.top : g.top + g.resized_h, g.left : g.left + g.resized_w] = True
    assert (picture[content] == 7).all()
    assert (picture[~content] == PAD_VALUE).all()
    assert placement == Placement(g.resized_w / width, g.resized_h / height, g.left, g.top)


@pytest.mark.parametrize(("width", "height", "target_h", "target_w"), SIZES)
def test_box_drawn_in_original_maps_back_to_itself(width, height, target_h, target_w):
    """Draw a box, letterbox, find it in the model input, map it back: it lands where it was drawn."""
    image = np.zeros((height, width, 3), np.uint8)
    box = np.array([0.3 * width, 0.4 * height, 0.7 * width, 0.9 * height]).round().astype(int)
    image[box[1] : box[3], box[0] : box[2]] = 255
    picture, placement = letterbox(image, target_h, target_w)

    ys, xs = np.nonzero(picture[:, :, 0] > 127)
    found = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
    back = placement.to_frame(found)[0]
    # One model-input pixel is 1/scale original pixels; allow that plus one for resampling.
    tolerance = 1 / min(placement.scale_x, placement.scale_y) + 1
    np.testing.assert_allclose(back, box, atol=tolerance)


@pytest.mark.parametrize(
    "placement",
    [
        Placement(0.5417, 0.5417, 0.0, 52.0),
        Placement(1.0, 1.0, -416.0, -160.0),
        Placement(6.4, 4.27, 0.0, 0.0),
    ],
)
def test_placement_round_trip(placement):
    boxes = np.array([[0, 0, 10, 10], [12.5, 7.25, 300.75, 200.5]], np.float32)
    np.testing.assert_allclose(placement.to_frame(placement.to_input(boxes)), boxes, rtol=1e-5, atol=1e-3)


def test_no_scaleup_only_pads_and_a_fitting_picture_is_not_copied():
    tile = np.arange(100 * 60 * 3, dtype=np.uint8).reshape(100, 60, 3)
    picture, placement = letterbox(tile, 128, 128, scaleup=False)
    assert (placement.scale_x, placement.scale_y) == (1.0, 1.0)
    top, left = int(placement.shift_y), int(placement.shift_x)
    assert (top, left) == (14, 34)
    np.testing.assert_array_equal(picture[top : top + 100, left : left + 60], tile)

    exact = np.zeros((128, 128, 3), np.uint8)
    same, placement = letterbox(exact, 128, 128)
    assert same is exact and placement == Placement(1.0, 1.0, 0.0, 0.0)


@pytest.mark.train
@pytest.mark.parametrize(("width", "height", "target_h", "target_w"), SIZES)
def test_pixels_match_ultralytics_letterbox(monkeypatch, tmp_path, width, height, target_h, target_w):
    # Ultralytics reads these when first imported: offline, and its settings file in a temp dir.
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path))
    augment = pytest.importorskip("ultralytics.data.augment", reason="needs the train extra (ultralytics)")
    rng = np.random.default_rng(width * height)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    theirs = augment.LetterBox(new_shape=(target_h, target_w), auto=False, scaleup=True)(image=image)
    ours, _ = letterbox(image, target_h, target_w)
    np.testing.assert_array_equal(ours, theirs)
