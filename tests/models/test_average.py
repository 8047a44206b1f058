"""Averaging checkpoints (``sitewatch train --average``): the arithmetic, the refusals and the ledger (train extra)."""

from __future__ import annotations

import pytest

from sitewatch.models import train as training
from sitewatch.models.card import training_stages

pytestmark = pytest.mark.train
pytest.importorskip("ultralytics", reason="needs the train extra (ultralytics, torch)")
torch = pytest.importorskip("torch")

from sitewatch.models.average import average_checkpoints, average_into_checkpoint  # noqa: E402


def _checkpoint(path, seed: int, classes: int = 3, imgsz: int = 64):
    from ultralytics.nn.tasks import DetectionModel

    torch.manual_seed(seed)
    model = DetectionModel("yolo11n.yaml", nc=classes, verbose=False)
    for buffer in model.buffers():
        if buffer.is_floating_point():
            buffer.uniform_(0.5, 1.5)  # running statistics that differ between the two
        else:
            buffer.fill_(seed)
    torch.save({"ema": model, "model": None, "epoch": 3, "train_args": {"imgsz": imgsz}}, path)
    return model.state_dict()


def test_the_average_is_the_mean_of_every_float_tensor(tmp_path):
    first = _checkpoint(tmp_path / "a.pt", seed=1, imgsz=512)
    second = _checkpoint(tmp_path / "b.pt", seed=2, imgsz=576)
    records = average_checkpoints([tmp_path / "a.pt", tmp_path / "b.pt"], tmp_path / "mean.pt")

    state = torch.load(tmp_path / "mean.pt", map_location="cpu", weights_only=False)
    assert state["optimizer"] is None and state["train_args"]["imgsz"] == 576
    averaged = state["ema"].state_dict()
    floats = [k for k, v in first.items() if v.is_floating_point()]
    integers = [k for k, v in first.items() if not v.is_floating_point()]
    assert floats and integers
    for key in floats:
        torch.testing.assert_close(averaged[key], (first[key] + second[key]) / 2)
    for key in integers:
        assert torch.equal(averaged[key], second[key])  # the last checkpoint's step counters
    assert [r["imgsz"] for r in records] == [512, 576]
    assert all(len(r["sha256"]) == 64 for r in records)


def test_different_architectures_are_refused(tmp_path):
    _checkpoint(tmp_path / "three.pt", seed=1, classes=3)
    _checkpoint(tmp_path / "five.pt", seed=2, classes=5)
    with pytest.raises(ValueError, match="not the same architecture"):
        average_checkpoints([tmp_path / "three.pt", tmp_path / "five.pt"], tmp_path / "mean.pt")
    assert not (tmp_path / "mean.pt").exists()


def test_the_average_becomes_the_checkpoint_and_a_stage_in_the_ledger(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    trained = {"started": "2026-12-01T00:00:00+00:00", "settings": {"imgsz": 576, "epochs": 2},
               "epochs_done": [1, 2], "seconds": 60.0}
    training._write_ledger("tiny", [trained])
    _checkpoint(tmp_path / "a.pt", seed=1)
    _checkpoint(tmp_path / "b.pt", seed=2)

    out = average_into_checkpoint("tiny", [tmp_path / "a.pt", tmp_path / "b.pt"])
    assert out == training.checkpoint_path("tiny") and out.exists()
    runs = training.read_ledger("tiny")
    assert runs[-1]["kind"] == "average" and runs[-1]["settings"]["imgsz"] == 576
    stages = training_stages(runs)
    assert len(stages) == 2 and stages[-1]["start"].startswith("mean of the weights of a.pt")
