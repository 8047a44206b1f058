"""A real (tiny) training run from scratch, then a fine-tuning stage from its checkpoint (train extra).

Ultralytics trains yolo11n from its YAML for one epoch on six made-up 64 px
photos, then fine-tunes from the checkpoint that run left, at a larger size and
with look-alikes drawn in. What is checked is the bookkeeping a later session
relies on: the checkpoint, the ledger's stages and where each stage started.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import yaml

from sitewatch.models import train as training
from sitewatch.models.card import training_stages
from sitewatch.models.datasets import SITEWATCH_CLASSES, DataSource

pytestmark = pytest.mark.train
pytest.importorskip("ultralytics", reason="needs the train extra (ultralytics, torch)")
cv2 = pytest.importorskip("cv2")


@pytest.fixture
def data(tmp_path):
    rng = np.random.default_rng(0)
    for split in ("train", "valid"):
        (tmp_path / "set" / split / "images").mkdir(parents=True)
        (tmp_path / "set" / split / "labels").mkdir(parents=True)
        for i in range(6):
            image = rng.integers(0, 60, (96, 128, 3), dtype=np.uint8)
            cv2.circle(image, (40, 40), 14, (0, 220, 255), -1)  # a yellow "helmet"
            cv2.imwrite(str(tmp_path / "set" / split / "images" / f"p{i}.jpg"), image)
            (tmp_path / "set" / split / "labels" / f"p{i}.txt").write_text("1 0.3125 0.4167 0.22 0.3\n")
    path = tmp_path / "set" / "data.yaml"
    path.write_text(yaml.safe_dump({"path": ".", "train": "train/images", "val": "valid/images",
                                    "names": list(SITEWATCH_CLASSES)}))
    return path


def test_fine_tuning_starts_a_new_stage_from_the_checkpoint(tmp_path, data, monkeypatch):
    monkeypatch.setattr(training, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    common = {"name": "tiny", "epochs": 1, "batch": 2, "workers": 0, "close_mosaic": 0,
              "torch_threads": 1}
    scratch = training.TrainSettings(imgsz=64, **common)
    training.train([DataSource(data)], scratch, tmp_path / "work")
    checkpoint = training.checkpoint_path("tiny")
    assert checkpoint.exists() and training.checkpoint_schedule(checkpoint)["epoch"] == 1
    started_from = hashlib.sha256(checkpoint.read_bytes()).hexdigest()

    tuned = training.TrainSettings(imgsz=96, lr0=0.0005, lookalikes=0.5, init_from=str(checkpoint), **common)
    best = training.train([DataSource(data)], tuned, tmp_path / "work")
    assert best.exists()

    runs = training.read_ledger("tiny")
    assert len(runs) == 2 and runs[1]["init_from"]["sha256"] == started_from
    assert runs[1]["init_from"]["epochs"] == 1 and runs[1]["init_from"]["imgsz"] == 64
    assert [s["start"] for s in training_stages(runs)] == ["scratch", "1 epochs at 64 px"]
    state = __import__("torch").load(checkpoint, map_location="cpu", weights_only=False)
    assert state["train_args"]["imgsz"] == 96 and state["train_args"]["lr0"] == 0.0005
    assert state["train_args"]["warmup_bias_lr"] == 0.0


def test_a_time_bounded_run_fits_its_epochs_to_the_time(tmp_path, data, monkeypatch):
    # --hours: a 50-epoch schedule given about a second ends after a few epochs,
    # and the ledger records the count Ultralytics fitted to the time.
    monkeypatch.setattr(training, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    settings = training.TrainSettings(name="timed", imgsz=64, epochs=50, batch=2, workers=0, close_mosaic=0,
                                      torch_threads=1, hours=0.0003)
    training.train([DataSource(data)], settings, tmp_path / "work")
    run = training.read_ledger("timed")[-1]
    assert run["settings"]["hours"] == 0.0003
    assert max(run["epochs_done"]) < 50 and run["epochs_planned"] < 50
    state = __import__("torch").load(training.checkpoint_path("timed"), map_location="cpu", weights_only=False)
    assert state["train_args"]["time"] == 0.0003 and state["train_args"]["epochs"] < 50


def test_a_frozen_fine_tune_changes_only_the_layers_above_the_frozen_ones(tmp_path, data, monkeypatch):
    # --freeze 11: yolo11n's backbone (layers 0-10) keeps its weights and its
    # batch-norm statistics; the neck and head (11-23) learn.
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(training, "CHECKPOINT_DIR", tmp_path / "checkpoints")
    common = {"name": "frozen", "epochs": 1, "batch": 2, "workers": 0, "close_mosaic": 0, "torch_threads": 1,
              "imgsz": 64}
    training.train([DataSource(data)], training.TrainSettings(**common), tmp_path / "work")
    start = tmp_path / "start.pt"
    start.write_bytes(training.checkpoint_path("frozen").read_bytes())
    tuned = training.TrainSettings(lr0=0.01, init_from=str(start), freeze=11, **common)
    training.train([DataSource(data)], tuned, tmp_path / "work")

    def weights(path):
        network = training.checkpoint_network(path, torch.load(path, map_location="cpu", weights_only=False))
        return {k: v.float() for k, v in network.state_dict().items() if v.is_floating_point()}

    def same(a, b):  # the EMA of an unchanged weight may differ from it in the last bit
        return torch.allclose(a, b, rtol=1e-5, atol=1e-7)

    before, after = weights(start), weights(training.checkpoint_path("frozen"))
    layer = {k: int(k.split(".")[1]) for k in before}
    kept = [k for k in before if layer[k] < 11]
    moved = [k for k in before if layer[k] >= 11 and not same(before[k], after[k])]
    assert kept and all(same(before[k], after[k]) for k in kept), [
        k for k in kept if not same(before[k], after[k])
    ][:5]
    assert len(moved) > 10, moved
    assert training.read_ledger("frozen")[-1]["settings"]["freeze"] == 11

    # Freezing every layer (yolo11n has 24) would train nothing: refused before any work.
    everything = training.TrainSettings(lr0=0.01, init_from=str(start), freeze=24, **common)
    with pytest.raises(ValueError, match="24 layers, so nothing would learn"):
        training.train([DataSource(data)], everything, tmp_path / "work")
