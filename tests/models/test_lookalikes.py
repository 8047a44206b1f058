"""Look-alikes drawn into training photos (models/lookalikes.py), on made-up images."""

from __future__ import annotations

import numpy as np
import pytest

from sitewatch.models.lookalikes import (
    DRAWERS,
    add_lookalikes,
    draw_ball,
    draw_cone,
    draw_lamp,
    draw_taped_cone,
    paste,
    yolo_boxes_to_pixels,
)


@pytest.mark.parametrize("draw", [draw_cone, draw_lamp, draw_ball])
@pytest.mark.parametrize("height", [12, 40, 150])
def test_drawings_have_a_body_and_fit_their_height(draw, height):
    pixels, alpha = draw(height, np.random.default_rng(height))
    assert pixels.shape[:2] == alpha.shape and alpha.shape[0] <= height
    assert 0.15 < alpha.mean() < 0.95, "a drawing covers part of its box, not none or all of it"
    assert alpha.min() >= 0 and alpha.max() <= 1


def test_cones_are_orange_red_or_yellow():
    hues = []
    for seed in range(40):
        pixels, alpha = draw_cone(80, np.random.default_rng(seed))
        body = pixels[alpha > 0.9]
        blue, green, red = body.mean(axis=0)
        assert red > blue + 40, "warm colours only: no blue or white cones"
        hues.append("yellow" if green > 0.6 * red else "orange/red")
    assert 8 <= hues.count("yellow") <= 28, "about 40% yellow"


def test_some_cones_carry_a_round_sign():
    with_sign = 0
    for seed in range(60):
        pixels, alpha = draw_cone(80, np.random.default_rng(seed))
        body = pixels[alpha > 0.9]
        blue, green, red = body.T
        # A sign's ring or centre: blue, white or red pixels on a cone whose body is not.
        blue_or_white = ((blue > red + 40) | ((blue > 200) & (green > 200) & (red > 200))).mean()
        with_sign += bool(blue_or_white > 0.01)
    assert 15 <= with_sign <= 45, f"{with_sign} of 60 cones carry a sign (about 45% expected)"


@pytest.mark.parametrize("seed", range(12))
def test_a_taped_cone_has_thin_striped_tape_running_off_its_side(seed):
    height = 60
    pixels, alpha = draw_taped_cone(height, np.random.default_rng(seed))
    assert alpha.shape[0] == height and alpha.shape[1] >= 2.5 * 0.45 * height, "cone and at least one run of tape"
    # The outermost quarter of the columns on either side: one of them holds the
    # tape alone (the other may be the cone's side, where no tape runs).
    outer = max(1, alpha.shape[1] // 4)
    tape_ends = [
        (pixels[:, cols][alpha[:, cols] > 0.9], int((alpha[:, cols] > 0.5).any(axis=1).sum()))
        for cols in (slice(0, outer), slice(-outer, None))
    ]
    thin = [(tape, rows) for tape, rows in tape_ends if 0 < rows <= 0.25 * height]
    assert thin, f"no thin band of tape at either edge (rows covered: {[rows for _, rows in tape_ends]})"
    # Two stripe colours alternate along the tape: red and white, or black and yellow.
    tape = np.concatenate([t for t, _ in thin])
    assert len(tape) and tape.std(axis=0).max() > 40, "stripes of two colours, not one"


def test_paste_blends_by_alpha():
    image = np.full((10, 10, 3), 100, np.uint8)
    pixels = np.full((2, 2, 3), 200, np.float32)
    alpha = np.array([[1.0, 0.5], [0.0, 1.0]], np.float32)
    paste(image, (pixels, alpha), 3, 4)
    assert image[4, 3, 0] == 200 and image[4, 4, 0] == 150 and image[5, 3, 0] == 100 and image[5, 4, 0] == 200
    assert (image[:4] == 100).all()


@pytest.mark.parametrize(
    ("label", "size", "expected"),
    [
        ("", (100, 50), np.zeros((0, 4))),
        ("0 0.5 0.5 0.2 0.4\n", (100, 50), [[40, 15, 60, 35]]),
        ("1 0.1 0.2 0.2 0.2\n\n2 0.9 0.9 0.2 0.2\n", (10, 10), [[0, 1, 2, 3], [8, 8, 10, 10]]),
    ],
)
def test_yolo_boxes_to_pixels(label, size, expected):
    np.testing.assert_allclose(yolo_boxes_to_pixels(label, *size), np.asarray(expected, np.float32).reshape(-1, 4))


def test_lookalikes_stay_clear_of_labelled_boxes():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    before = image.copy()
    boxes = np.float32([[50, 50, 150, 150], [250, 20, 390, 200]])
    drawn = add_lookalikes(image, boxes, np.random.default_rng(3), count=3)
    assert drawn, "there is room for a drawing"
    for x0, y0, x1, y1 in boxes.astype(int):
        assert (image[y0:y1, x0:x1] == before[y0:y1, x0:x1]).all(), "labelled objects are never painted over"
    for dx0, dy0, dx1, dy1 in drawn:
        assert not (image[dy0:dy1, dx0:dx1] == before[dy0:dy1, dx0:dx1]).all()
        for x0, y0, x1, y1 in boxes:
            assert dx1 <= x0 or dx0 >= x1 or dy1 <= y0 or dy0 >= y1
    changed = np.argwhere((image != before).any(axis=2))
    inside_drawn = [any(x0 <= x < x1 and y0 <= y < y1 for x0, y0, x1, y1 in drawn) for y, x in changed]
    assert all(inside_drawn), "nothing changes outside the drawn boxes"


def test_lookalikes_are_deterministic_for_a_seed():
    base = np.full((200, 200, 3), 128, np.uint8)
    a, b, c = base.copy(), base.copy(), base.copy()
    assert add_lookalikes(a, np.zeros((0, 4)), np.random.default_rng(7), 2) == add_lookalikes(
        b, np.zeros((0, 4)), np.random.default_rng(7), 2
    )
    add_lookalikes(c, np.zeros((0, 4)), np.random.default_rng(8), 2)
    assert (a == b).all() and not (a == c).all()


def test_a_photo_full_of_labels_gets_no_drawing():
    image = np.zeros((60, 60, 3), np.uint8)
    assert add_lookalikes(image, np.float32([[0, 0, 60, 60]]), np.random.default_rng(0), count=3) == []
    assert not image.any()


def test_drawer_weights_are_a_distribution():
    assert all(weight > 0 for _, weight in DRAWERS)


def test_max_height_caps_the_drawn_size():
    image = np.full((576, 768, 3), 100, np.uint8)
    drawn = add_lookalikes(image, np.zeros((0, 4)), np.random.default_rng(5), count=3, max_height=20)
    assert drawn and all(y1 - y0 <= 20 for _, y0, _, y1 in drawn)
