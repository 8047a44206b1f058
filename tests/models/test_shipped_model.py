"""The default model in models/: it loads, names its classes, and its card describes this very file."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from sitewatch.detector import OnnxDetector
from sitewatch.models import default_model_path

CLASSES = ("head", "helmet", "person")


def test_default_model_loads_with_its_class_names():
    detector = OnnxDetector(default_model_path(), threads=1, tiles="off")
    assert detector.class_names == CLASSES
    # The model runs at the size its card states (its own metadata, chosen on valid).
    card = default_model_path().with_suffix(".md").read_text()
    stated = re.search(r"- Input: (\d+) x \1 px", card)
    assert stated and detector.input_size == int(stated.group(1))
    found = detector.detect(np.zeros((320, 416, 3), np.uint8))
    assert found.class_names == CLASSES and len(found) == 0, "a black frame holds no heads"


def test_model_card_names_the_shipped_file():
    model = default_model_path()
    card = model.with_suffix(".md").read_text()
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert f"sha256 `{digest}`" in card, "the card belongs to another export: regenerate it (sitewatch train --export-only)"
    assert re.search(r"\| map50 \| \d\.\d{3} \| \d\.\d{3} \|", card), "the card states measured test mAP50"


def test_int8_model_loads_with_its_class_names_and_has_a_card():
    int8 = default_model_path().with_name(default_model_path().stem + "-int8.onnx")
    detector = OnnxDetector(int8, threads=1, tiles="off")
    assert detector.class_names == CLASSES
    assert detector.input_size == OnnxDetector(default_model_path(), threads=1, tiles="off").input_size
    card = int8.with_suffix(".md").read_text()
    assert f"sha256 `{hashlib.sha256(int8.read_bytes()).hexdigest()}`" in card
