"""Model cards: generated figures, and the hand-written part kept across a rewrite."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from sitewatch.models.card import NOTES_MARKER, kept_notes, model_input_size, training_stages, write_card

TINY = Path(__file__).resolve().parents[1] / "detector" / "data" / "tiny-yolo.onnx"
METRICS = {
    "images": 3,
    "map50": {"head": 0.9123, "helmet": 0.95, "person": 0.1, "all": 0.654},
    "map50_95": {"head": 0.5, "helmet": 0.6, "person": 0.01, "all": 0.37},
    "precision": {"head": 0.9, "helmet": 0.9, "person": 0.0, "all": 0.6},
    "recall": {"head": 0.8, "helmet": 0.9, "person": 0.0, "all": 0.57},
}


def test_card_states_the_file_and_the_figures(tmp_path):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    card = write_card(model, [], metrics=METRICS)
    text = card.read_text()
    assert card == tmp_path / "tiny.md"
    assert hashlib.sha256(model.read_bytes()).hexdigest() in text
    assert "| map50 | 0.912 | 0.950 | 0.100 | 0.654 |" in text
    assert "(3 images)" in text


def test_hand_written_notes_survive_a_rewrite(tmp_path):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    write_card(model, [], metrics=METRICS, notes="## Field check\n\nTwelve people, eleven events.")
    rewritten = write_card(model, [], metrics={**METRICS, "images": 4})
    text = rewritten.read_text()
    assert "(4 images)" in text
    assert text.count(NOTES_MARKER) == 1
    assert kept_notes(rewritten) == "## Field check\n\nTwelve people, eleven events."


def test_no_notes_without_a_card_or_a_marker(tmp_path):
    assert kept_notes(tmp_path / "absent.md") == ""
    plain = tmp_path / "plain.md"
    plain.write_text("# a card written before notes were kept\n")
    assert kept_notes(plain) == ""


def run(epochs_done, planned, imgsz=416, init_from=None, lr0=None, lookalikes=0.0):
    record = {"settings": {"epochs": planned, "imgsz": imgsz, "lr0": lr0, "lookalikes": lookalikes},
              "epochs_done": epochs_done}
    return {**record, "init_from": init_from} if init_from else record


FINE_TUNE = {"weights": "last.pt", "sha256": "0" * 64, "epochs": 14, "imgsz": 416}


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        ([], []),
        (
            [run([1], 20), run([2, 3], 20), run([4, 5], 14)],
            [{"start": "scratch", "imgsz": 416, "lr0": "auto", "lookalikes": 0.0, "far_field": 0.0, "epochs_done": 5,
              "planned": 14, "hours": None}],
        ),
        (
            [run([14], 14), run([1, 2], 6, 512, FINE_TUNE, 0.0007, 0.3), run([3], 6, 512)],
            [
                {"start": "scratch", "imgsz": 416, "lr0": "auto", "lookalikes": 0.0, "far_field": 0.0,
                 "epochs_done": 14, "planned": 14, "hours": None},
                {"start": "14 epochs at 416 px", "imgsz": 512, "lr0": 0.0007, "lookalikes": 0.3, "far_field": 0.0,
                 "epochs_done": 3,
                 "planned": 6, "hours": None},
            ],
        ),
    ],
)
def test_training_stages_split_at_fine_tuning(runs, expected):
    assert training_stages(runs) == expected


AVERAGE = {
    "kind": "average",
    "averaged": [{"weights": "a/last.pt", "sha256": "a" * 64, "imgsz": 512},
                 {"weights": "b/last.pt", "sha256": "b" * 64, "imgsz": 576}],
    "settings": {"imgsz": 576, "epochs": 2},
    "epochs_done": [],
}


def test_a_stage_started_from_an_average_names_the_file():
    averaged = {"weights": "/tmp/stage4-mean.pt", "sha256": "c" * 64, "epochs": 0, "imgsz": 576}
    stages = training_stages([run([14], 14), AVERAGE, run([1, 2], 2, 576, averaged, 0.0004, 0.3)])
    assert stages[-1]["start"] == "stage4-mean.pt (cccccccccccc)"


def test_an_average_is_a_stage_of_its_own_and_final(tmp_path, monkeypatch):
    runs = [run([14], 14), AVERAGE]
    stages = training_stages(runs)
    assert [s.get("average", False) for s in stages] == [False, True]
    assert stages[1]["start"] == "mean of the weights of last.pt (aaaaaaaaaaaa), last.pt (bbbbbbbbbbbb)"

    from sitewatch.models import card as cards

    monkeypatch.setattr(cards, "read_ledger", lambda name: [{**r, "started": "2026-12-01"} for r in runs])
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    text = write_card(model, [], metrics=METRICS).read_text()
    assert "- Status: final" in text
    assert "| 2 | mean of the weights of last.pt (aaaaaaaaaaaa), last.pt (bbbbbbbbbbbb) | - | - | - | - | - |" in text
    assert "| 2 | 2 | 2026-12-01 | ? | average |" in text
    assert "for 14 epochs" in text


@pytest.mark.parametrize(
    ("epochs_done", "status"),
    [
        ([1, 2, 3], "- Status: final: a time-bounded stage (0.13 h), 3 of the 48 epochs fitted to its time"),
        (list(range(1, 49)), "- Status: final\n"),
    ],
)
def test_a_time_bounded_stage_is_planned_by_its_fitted_epochs(tmp_path, monkeypatch, epochs_done, status):
    # --hours: the settings say 100 epochs, Ultralytics fitted 48 to the time.
    timed = {**run(epochs_done, 100, 576, FINE_TUNE, 0.001, 0.5), "epochs_planned": 48, "started": "2026-12-04"}
    timed["settings"]["hours"] = 0.13
    assert training_stages([timed])[-1]["planned"] == 48

    from sitewatch.models import card as cards

    monkeypatch.setattr(cards, "read_ledger", lambda name: [timed])
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    assert status in write_card(model, [], metrics=METRICS).read_text()


def test_the_card_states_the_models_own_input_size(tmp_path):
    model = Path(shutil.copy(TINY, tmp_path / "tiny.onnx"))
    size = model_input_size(model)
    assert isinstance(size, int) and size > 0
    assert f"- Input: {size} x {size} px RGB by default" in write_card(model, [], metrics=METRICS).read_text()
